package mpstore

import (
	"crypto/sha256"
	"unsafe"
)

// keyForm is a key as the file stores it: its bytes when they fit in a name
// record, else its SHA-256 digest and its length, plus the stable hash that
// places it in the index.
type keyForm struct {
	name    string
	hash    uint64 // top bit set: the index word of the key's slot
	lenKind int64  // the name record's length word
	digest  [sha256.Size]byte
}

// A name record's length word: the length of the bytes stored, with
// digestFlag set when they are the digest of a longer name; nameUnused marks
// an alias record that holds no name.
const (
	digestFlag = int64(1) << 62
	nameUnused = int64(-1)
)

// Index words.
const (
	indexEmpty    = 0 // never used since the last empty run: a probe stops
	indexReleased = 1 // was used: a probe goes on
	indexInUse    = uint64(1) << 63
)

func newKeyForm(name string, keyLen int64) keyForm {
	k := keyForm{name: name, lenKind: int64(len(name))}
	if int64(len(name)) > keyLen {
		k.digest = sha256.Sum256([]byte(name))
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
	return k.name
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
