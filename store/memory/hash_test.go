package memorystore

import (
	"math/bits"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestHashReadsEveryByte changes each byte of keys of every length up to
// 70 (past the 16-byte blocks) and requires another hash each time, and the
// same hash for the same key.
func TestHashReadsEveryByte(t *testing.T) {
	hs := newHasher()
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 71 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		key := string(b)
		h := hs.hash(key)
		if hs.hash(string(b)) != h {
			t.Fatalf("%d bytes: two hashes of one key", n)
		}
		for i := range b {
			b[i] ^= 1 << r.IntN(8)
			if hs.hash(string(b)) == h {
				t.Fatalf("%d bytes: the hash ignores byte %d", n, i)
			}
			b[i] = key[i]
		}
	}
}

// TestHashSeeded: two hashers hash the same keys apart, so that keys aimed
// at one store's shards spread over another's.
func TestHashSeeded(t *testing.T) {
	a, b := newHasher(), newHasher()
	for _, key := range []string{"", "k", "key", "key-1234", "203.0.113.7", "user:12345678901234567890"} {
		if a.hash(key) == b.hash(key) {
			t.Errorf("hash(%q) is the same under two hashers", key)
		}
	}
}

// TestHashSpreads hashes keys that differ little (a prefix and a counter,
// as keys are made) into 64 shards by the low bits and 64 home slots by
// the top bits, and requires every bucket within 20% of the mean, with no
// two keys of one whole hash.
func TestHashSpreads(t *testing.T) {
	hs := newHasher()
	const keys, buckets = 1 << 16, 64
	for _, prefix := range []string{"", "ip:", "ratelimit:api:user:"} {
		var low, high [buckets]int
		seen := make(map[uint64]bool, keys)
		for i := range keys {
			h := hs.hash(prefix + strconv.Itoa(i))
			if seen[h] {
				t.Fatalf("prefix %q: key %d shares a whole hash", prefix, i)
			}
			seen[h] = true
			low[h%buckets]++
			high[h>>(64-bits.Len(buckets-1))]++
		}
		for i := range buckets {
			for _, c := range []int{low[i], high[i]} {
				if mean := keys / buckets; c < mean*8/10 || c > mean*12/10 {
					t.Fatalf("prefix %q: a bucket holds %d keys, mean %d (low bits %v, top bits %v)", prefix, c, mean, low, high)
				}
			}
		}
	}
}
