package mpstore

import (
	"crypto/sha256"
	"unsafe"
)

// keyForm is a key as the file stores it: its bytes when they fit in a key
// record, else its SHA-256 digest and its length, plus the stable hash that
// places it in the index.
type keyForm struct {
	key     string
	hash    uint64 // top bit set: the index word of the key's slot
	lenKind int64  // the key record's length word
	digest  [sha256.Size]byte
}

// digestFlag is set in a key record's length word when the bytes stored
// are the digest of a longer key; the rest of the word is the length of the
// key.
const digestFlag = int64(1) << 62

// Index words.
const (
	indexEmpty    = 0 // never used since the last empty run: a probe stops
	indexReleased = 1 // was used: a probe goes on
	indexInUse    = uint64(1) << 63
)

func newKeyForm(key string, keyLen int64) keyForm {
	k := keyForm{key: key, lenKind: int64(len(key))}
	if int64(len(key)) > keyLen {
		k.digest = sha256.Sum256([]byte(key))
		k.lenKind |= digestFlag
	}
	k.hash = keyHash(k.stored(), k.lenKind)
	return k
}

// keyHash returns the index word of a key the file stores as the bytes
// stored, under the length word lenKind.
func keyHash(stored string, lenKind int64) uint64 {
	if lenKind&digestFlag != 0 {
		return mix(fnv1a(stored)^uint64(lenKind&^digestFlag)) | indexInUse
	}
	return mix(fnv1a(stored)) | indexInUse
}

// stored returns the bytes the file stores for k.
func (k *keyForm) stored() string {
	if k.lenKind&digestFlag != 0 {
		return unsafe.String(&k.digest[0], len(k.digest))
	}
	return k.key
}

// fnv1a is 64-bit FNV-1a: stable across processes and runs, unlike
// hash/maphash, whose seed is per process.
func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix spreads FNV's weak low bits over the word (MurmurHash3's finalizer),
// since the index takes the hash modulo its size.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// setKey writes k into the key record of the slot at p, not yet published.
func (m *mapping) setKey(p unsafe.Pointer, k *keyForm) {
	b := k.stored()
	copy(unsafe.Slice((*byte)(unsafe.Add(p, 8)), len(b)), b)
	*(*int64)(p) = k.lenKind
}

// holds reports whether the key of the slot at p is k.
func (m *mapping) holds(p unsafe.Pointer, k *keyForm) bool {
	if *(*int64)(p) != k.lenKind {
		return false
	}
	b := k.stored()
	return unsafe.String((*byte)(unsafe.Add(p, 8)), len(b)) == b
}

// keyHash returns the index word of the key the slot at p holds, and
// false if its key record is not one this package writes.
func (m *mapping) keyHash(p unsafe.Pointer) (uint64, bool) {
	lk := *(*int64)(p)
	n := lk
	if lk&digestFlag != 0 {
		n = sha256.Size
		if l := lk &^ digestFlag; l <= m.lay.keyLen || l >= digestFlag {
			return 0, false // a digest stands only for a longer key
		}
	}
	if n < 0 || n > m.lay.keyLen {
		return 0, false
	}
	return keyHash(unsafe.String((*byte)(unsafe.Add(p, 8)), n), lk), true
}
