package memorystore

import (
	"math/bits"
	"math/rand/v2"
)

// hasher hashes a store's keys, seeded per store so that no one can aim
// many keys at one shard or one run of a shard's slots. It is the hash the
// Go runtime gives map keys on machines without AES instructions (wyhash's
// multiply-mix, 16 bytes at a time, but for the runtime's three lanes over
// long keys), under random keys of its own: one call that makes no other,
// where hash/maphash.String goes through a chain of them.
type hasher struct {
	k [3]uint64
}

// newHasher returns a hasher with fresh random keys.
func newHasher() hasher {
	return hasher{k: [3]uint64{rand.Uint64(), rand.Uint64(), rand.Uint64()}}
}

// hash returns key's hash.
func (hs *hasher) hash(key string) uint64 {
	n, seed := len(key), hs.k[0]
	var a, b uint64
	switch {
	case n > 16:
		i := 0
		for ; n-i > 16; i += 16 {
			seed = mix(le64(key[i:])^hs.k[1], le64(key[i+8:])^seed)
		}
		a, b = le64(key[n-16:]), le64(key[n-8:])
	case n >= 8:
		a, b = le64(key), le64(key[n-8:])
	case n >= 4:
		a, b = uint64(le32(key)), uint64(le32(key[n-4:]))
	case n > 0:
		a = uint64(key[0])<<16 | uint64(key[n>>1])<<8 | uint64(key[n-1])
	}
	return mix(hs.k[2]^uint64(n), mix(a^hs.k[1], b^seed))
}

// mix folds the 128-bit product of a and b to 64 bits.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// le64 reads the first 8 bytes of s, little-endian.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// le32 reads the first 4 bytes of s, little-endian.
func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}
