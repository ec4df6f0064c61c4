package pgstore_test

import (
	"fmt"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// TestLeakBatches leaks more rows than one batch holds, over many names,
// from the Store and from a name's view; rows inside the window stay.
func TestLeakBatches(t *testing.T) {
	pool := sharedPool(t)
	s := newStore(t, pool, []ratelimit.Rate{ratelimit.Per(1000, time.Second), ratelimit.Per(5000, time.Minute)})
	ctx := t.Context()
	const old, names = 2500, 7
	// Old rows, inserted directly: names × rows stamped at 0..old-1.
	if _, err := pool.Exec(ctx, fmt.Sprintf(`INSERT INTO %q (name, before, ts, weight)
		SELECT convert_to('n' || (g %% %d), 'UTF8'), g, g, 1 FROM generate_series(0, %d) AS g`, s.Table(), names, old-1)); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Bucket(ctx, "n0")
	recent := int64(100_000)
	if d, err := b.Put(ctx, ratelimit.Item{Name: "n0", Time: recent, Weight: 3}); err != nil || !d.Allowed {
		t.Fatalf("Put = %+v, %v", d, err)
	}
	// A name's view leaks that name's old rows only.
	wantN0 := int64((old + names - 1) / names)
	if n, err := b.Leak(ctx, recent); err != nil || n != wantN0 {
		t.Fatalf("view Leak = %d, %v; want %d", n, err, wantN0)
	}
	if n, err := b.Count(ctx); err != nil || n != 3 {
		t.Fatalf("Count n0 = %d, %v; want 3", n, err)
	}
	n, err := s.Leak(ctx, recent)
	if err != nil || n != old-wantN0 {
		t.Fatalf("Store Leak = %d, %v; want %d", n, err, old-wantN0)
	}
	if n, err := s.Leak(ctx, recent+60_000); err != nil || n != 0 {
		t.Fatalf("Leak at the inclusive edge = %d, %v; want 0", n, err)
	}
	if n, err := s.Leak(ctx, recent+60_001); err != nil || n != 3 {
		t.Fatalf("Leak past the edge = %d, %v; want 3", n, err)
	}
}

// TestSweeper lets the background sweeper delete rows older than the
// largest interval by the server's clock.
func TestSweeper(t *testing.T) {
	pool := sharedPool(t)
	s := newStore(t, pool, []ratelimit.Rate{ratelimit.PerSecond(10)}, pgstore.WithSweepInterval(50*time.Millisecond))
	ctx := t.Context()
	now, err := s.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Bucket(ctx, "k")
	for _, ts := range []int64{now - 10_000, now - 5_000, now + 60_000} {
		if _, err := b.Put(ctx, ratelimit.Item{Name: "k", Time: ts, Weight: 1}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		n, err := b.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Count = %d after 3s of sweeping, want 1", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
