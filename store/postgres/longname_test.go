package pgstore_test

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorate/ratelimit"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// randomKey returns n random bytes (NUL bytes and invalid UTF-8 among
// them) from a generator seeded with seed.
func randomKey(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// TestLongKeys takes under keys of any length and bytes, under every
// algorithm: 64 KiB of random bytes, the same with its last byte changed,
// keys just over and under the index's row limit (random bytes from 2677
// up fail with SQLSTATE 54000 if stored as they are), and short keys with
// NUL bytes and invalid UTF-8. Each key gets exactly its limit, from 16
// goroutines at once, independently of the others; checks and resets
// reach it, and a reset only it.
func TestLongKeys(t *testing.T) {
	const limit = 5
	long := randomKey(1, 64<<10)
	off := []byte(long)
	off[len(off)-1] ^= 1
	lastByte := string(off)
	keys := map[string]string{
		"64KiB":                long,
		"64KiB, last byte":     lastByte,
		"64KiB prefix":         long[:len(long)-1],
		"2676 random":          randomKey(2, 2676),
		"2677 random":          randomKey(3, 2677),
		"4000 random":          randomKey(4, 4000),
		"short with NUL":       "a\x00b",
		"short invalid UTF-8":  "\xff\xfe\xc3",
		"empty":                "",
		"64KiB of NUL":         string(make([]byte, 64<<10)),
		"64KiB of NUL and one": string(make([]byte, 64<<10)) + "\x01",
		"2677 NUL bytes":       string(make([]byte, 2677)),
	}
	pool := sharedPool(t)
	rates := mustRates(t, ratelimit.PerHour(limit))
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t, pool, pgstore.WithAlgorithm(alg))
			ctx := t.Context()
			for label, key := range keys {
				var admitted atomic.Int64
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() {
						d, err := s.Take(ctx, key, rates, 1)
						if err != nil {
							t.Errorf("%s: Take: %v", label, err)
						} else if d.Allowed {
							admitted.Add(1)
						}
					})
				}
				wg.Wait()
				if got := admitted.Load(); got != limit {
					t.Fatalf("%s: %d of 16 takes admitted, want exactly %d", label, got, limit)
				}
			}
			// Every key got its own limit: none shared another's.
			for label, key := range keys {
				if d, err := s.Check(ctx, key, rates, 1); err != nil || d.Allowed || d.Remaining != 0 || d.RetryAfter <= 0 {
					t.Fatalf("%s: Check = %v, %v; want denied, 0 left, a wait", label, d, err)
				}
			}
			// Reset reaches a long key's rows, and only its own.
			if err := s.Reset(ctx, long); err != nil {
				t.Fatal(err)
			}
			if d, err := s.Check(ctx, lastByte, rates, 1); err != nil || d.Allowed {
				t.Fatalf("after resetting the 64KiB key, the one a byte off: Check = %v, %v; want denied", d, err)
			}
			if d, err := s.Take(ctx, long, rates, limit); err != nil || !d.Allowed || d.Remaining != 0 {
				t.Fatalf("Take(%d) after Reset = %v, %v; want allowed, 0 left", limit, d, err)
			}
		})
	}
}

// TestStoredKeys checks how the tables keep keys: as they are up to 2600
// bytes; longer ones, and any starting with the digest's mark, as a
// 65-byte digest form, which as a key of its own is stored otherwise.
func TestStoredKeys(t *testing.T) {
	pool := sharedPool(t)
	long := randomKey(6, 64<<10)
	digest := pgstore.StoredKey(long)
	mark := digest[:len(digest)-40] // before the SHA-256 and the length
	tests := []struct {
		key string
		raw bool
	}{
		{"", true},
		{"k", true},
		{"\xff\xfe", true},
		{randomKey(7, 2600), true},
		{randomKey(8, 2601), false},
		{long, false},
		{digest, false},            // a digest form, taken as a key
		{mark + "k", false},        // a key starting with the mark
		{mark[:len(mark)-1], true}, // a part of the mark
		{digest[1:], true},         // a digest form but for its first byte
	}
	if len(digest) != 65 {
		t.Fatalf("digest form of %d bytes, want 65", len(digest))
	}
	rates := mustRates(t, ratelimit.PerHour(3))
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg))
			ctx := t.Context()
			if alg != ratelimit.SlidingWindowLog {
				table += "_state"
			}
			for i, tt := range tests {
				if d, err := s.Take(ctx, tt.key, rates, 1); err != nil || !d.Allowed || d.Remaining != 2 {
					t.Fatalf("key %d: Take = %v, %v; want allowed, 2 left (no other key's units)", i, d, err)
				}
				var stored []byte
				if err := pool.QueryRow(ctx, `SELECT key FROM "`+table+`" ORDER BY ctid DESC LIMIT 1`).Scan(&stored); err != nil {
					t.Fatal(err)
				}
				want := pgstore.StoredKey(tt.key)
				if tt.raw {
					if want != tt.key {
						t.Fatalf("key %d: stored as %.20q, want as it is", i, want)
					}
				} else if len(want) != 65 || want[:len(mark)] != mark {
					t.Fatalf("key %d: stored as %.20q (%d bytes), want a digest form", i, want, len(want))
				}
				if string(stored) != want {
					t.Fatalf("key %d: the row holds %.20q, want %.20q", i, stored, want)
				}
			}
		})
	}
}
