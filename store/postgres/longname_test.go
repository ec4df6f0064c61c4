package pgstore_test

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// randomName returns n random bytes (NUL bytes and invalid UTF-8 among
// them) from a generator seeded with seed.
func randomName(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// TestLongNames puts under names of any length and bytes, under every
// algorithm: 64 KiB of random bytes, the same with its last byte changed,
// names just over and under the index's row limit of old (random bytes
// from 2677 up failed with SQLSTATE 54000), and short names with NUL bytes
// and invalid UTF-8. Each name gets exactly its limit, from 16 goroutines
// at once, independently of the others; counts, waits, peeks, flushes and
// leaks reach it.
func TestLongNames(t *testing.T) {
	const limit = 5
	long := randomName(1, 64<<10)
	off := []byte(long)
	off[len(off)-1] ^= 1
	lastByte := string(off)
	names := map[string]string{
		"64KiB":                long,
		"64KiB, last byte":     lastByte,
		"64KiB prefix":         long[:len(long)-1],
		"2676 random":          randomName(2, 2676),
		"2677 random":          randomName(3, 2677),
		"4000 random":          randomName(4, 4000),
		"short with NUL":       "a\x00b",
		"short invalid UTF-8":  "\xff\xfe\xc3",
		"64KiB of NUL":         string(make([]byte, 64<<10)),
		"64KiB of NUL and one": string(make([]byte, 64<<10)) + "\x01",
		"2677 NUL bytes":       string(make([]byte, 2677)),
	}
	if lastByte == long || len(lastByte) != len(long) {
		t.Fatal("the changed name is not one byte off")
	}
	pool := sharedPool(t)
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			s := newStore(t, pool, []ratelimit.Rate{ratelimit.PerHour(limit)}, pgstore.WithAlgorithm(alg))
			ctx := t.Context()
			for label, name := range names {
				var admitted atomic.Int64
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() {
						d, err := s.Acquire(ctx, name, 1)
						if err != nil {
							t.Errorf("%s: Acquire: %v", label, err)
						} else if d.Allowed {
							admitted.Add(1)
						}
					})
				}
				wg.Wait()
				if got := admitted.Load(); got != limit {
					t.Fatalf("%s: %d of 16 acquires admitted, want exactly %d", label, got, limit)
				}
			}
			// Every name got its own limit: none shared another's.
			for label, name := range names {
				b, err := s.Bucket(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				if n, err := b.Count(ctx); err != nil || n != limit {
					t.Fatalf("%s: Count = %d, %v; want %d", label, n, err, limit)
				}
				if w, err := b.Waiting(ctx, ratelimit.Item{Name: name, Weight: 1, Time: time.Now().UnixMilli()}); err != nil || w <= 0 {
					t.Fatalf("%s: Waiting = %v, %v; want a wait", label, w, err)
				}
				if alg == ratelimit.AlgorithmSlidingWindowLog {
					if it, ok, err := b.Peek(ctx, 0); err != nil || !ok || it.Name != name || it.Weight != 1 {
						t.Fatalf("%s: Peek(0) = %.40q %v, %v, %v; want the unit under the name", label, it.Name, it.Weight, ok, err)
					}
				}
			}
			// Flush and Leak reach a long name's rows, and only its own.
			b, _ := s.Bucket(ctx, long)
			if err := b.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			other, _ := s.Bucket(ctx, lastByte)
			if n, err := other.Count(ctx); err != nil || n != limit {
				t.Fatalf("after flushing the 64KiB name, the one a byte off counts %d, %v; want %d", n, err, limit)
			}
			if n, err := b.Count(ctx); err != nil || n != 0 {
				t.Fatalf("Count after Flush = %d, %v; want 0", n, err)
			}
			if d, err := s.Acquire(ctx, long, limit); err != nil || !d.Allowed || d.Remaining != 0 {
				t.Fatalf("Acquire(%d) after Flush = %+v, %v; want allowed, 0 left", limit, d, err)
			}
			if _, err := other.Leak(ctx, time.Now().Add(2*time.Hour).UnixMilli()); err != nil {
				t.Fatal(err)
			}
			if n, err := other.Count(ctx); err != nil || n != 0 {
				t.Fatalf("Count after a Leak two hours on = %d, %v; want 0", n, err)
			}
			if n, err := b.Count(ctx); err != nil || n != limit {
				t.Fatalf("the 64KiB name after the other's Leak counts %d, %v; want %d", n, err, limit)
			}
		})
	}
}

// TestLongItemNames puts units whose own names are 64 KiB of random bytes
// under a short name and a long one: Peek returns each as put.
func TestLongItemNames(t *testing.T) {
	pool := sharedPool(t)
	s := newStore(t, pool, []ratelimit.Rate{ratelimit.PerHour(3)})
	ctx := t.Context()
	for i, name := range []string{"k", randomName(5, 64<<10)} {
		b, err := s.Bucket(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		item := randomName(uint64(10+i), 64<<10)
		if d, err := b.Put(ctx, ratelimit.Item{Name: item, Weight: 1, Time: 1000}); err != nil || !d.Allowed {
			t.Fatalf("name %d: Put = %+v, %v", i, d, err)
		}
		if it, ok, err := b.Peek(ctx, 0); err != nil || !ok || it.Name != item {
			t.Fatalf("name %d: Peek(0) = %.40q, %v, %v; want the item's own name", i, it.Name, ok, err)
		}
		if _, err := b.Put(ctx, ratelimit.Item{Name: name, Weight: 1, Time: 1001}); err != nil {
			t.Fatal(err)
		}
		if it, ok, err := b.Peek(ctx, 0); err != nil || !ok || it.Name != name {
			t.Fatalf("name %d: Peek(0) = %.40q, %v, %v; want the bucket's own name", i, it.Name, ok, err)
		}
	}
}

// TestStoredNames checks how the tables keep names: as they are up to 2600
// bytes, so that rows written before long names were digested keep
// counting; longer ones, and any starting with the digest's mark, as a
// 65-byte digest form, which as a name of its own is stored otherwise.
func TestStoredNames(t *testing.T) {
	pool := sharedPool(t)
	long := randomName(6, 64<<10)
	digest := pgstore.StoredName(long)
	mark := digest[:len(digest)-40] // before the SHA-256 and the length
	tests := []struct {
		name string
		raw  bool
	}{
		{"", true},
		{"k", true},
		{"\xff\xfe", true},
		{randomName(7, 2600), true},
		{randomName(8, 2601), false},
		{long, false},
		{digest, false},            // a digest form, put as a name
		{mark + "k", false},        // a name starting with the mark
		{mark[:len(mark)-1], true}, // a part of the mark
		{digest[1:], true},         // a digest form but for its first byte
	}
	if len(digest) != 65 {
		t.Fatalf("digest form of %d bytes, want 65", len(digest))
	}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s := newStore(t, pool, []ratelimit.Rate{ratelimit.PerHour(3)}, pgstore.WithAlgorithm(alg))
			ctx := t.Context()
			table := s.Table()
			if alg != ratelimit.AlgorithmSlidingWindowLog {
				table += "_state"
			}
			for i, tt := range tests {
				if d, err := s.Acquire(ctx, tt.name, 1); err != nil || !d.Allowed || d.Remaining != 2 {
					t.Fatalf("name %d: Acquire = %+v, %v; want allowed, 2 left (no other name's units)", i, d, err)
				}
				var stored []byte
				if err := pool.QueryRow(ctx, `SELECT name FROM "`+table+`" ORDER BY ctid DESC LIMIT 1`).Scan(&stored); err != nil {
					t.Fatal(err)
				}
				want := pgstore.StoredName(tt.name)
				if tt.raw {
					if want != tt.name {
						t.Fatalf("name %d: stored as %.20q, want as it is", i, want)
					}
				} else if len(want) != 65 || want[:len(mark)] != mark {
					t.Fatalf("name %d: stored as %.20q (%d bytes), want a digest form", i, want, len(want))
				}
				if string(stored) != want {
					t.Fatalf("name %d: the row holds %.20q, want %.20q", i, stored, want)
				}
			}
		})
	}
	// A row of the log written before long names were digested (a name
	// of up to 2600 bytes, as it is) still counts.
	s := newStore(t, pool, []ratelimit.Rate{ratelimit.PerHour(3)})
	old := randomName(9, 2600)
	now, err := s.Now(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(t.Context(), `INSERT INTO "`+s.Table()+`" (name, before, ts, weight) VALUES ($1, 0, $2, 2)`, []byte(old), now); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Acquire(t.Context(), old, 1); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Fatalf("Acquire over an old row of 2 units = %+v, %v; want allowed, 0 left", d, err)
	}
}
