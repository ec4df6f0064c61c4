package sqlitestore_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestLeakBatches fills a table with more rows than several leak batches
// hold, old and new, over many names and weights: Store.Leak and a view's
// Leak remove exactly the rows older than the bound (keeping one exactly on
// it) and return their units.
func TestLeakBatches(t *testing.T) {
	rates := []ratelimit.Rate{ratelimit.Per(1<<40, time.Second)}
	s := openStore(t, filepath.Join(t.TempDir(), "leak.db"), rates, sqlitestore.WithSweepInterval(0))
	ctx := t.Context()
	names, rowsPer := 50, 90 // 4500 rows, 2500 of them old: three batches
	if raceEnabled {
		names = 25 // 1250 old rows: still two batches
	}
	var oldUnits, oldUnitsOfName0 int64
	for n := range names {
		b, err := s.Bucket(ctx, fmt.Sprint("name-", n))
		if err != nil {
			t.Fatal(err)
		}
		for i := range rowsPer {
			ts := int64(i * 100) // 0 .. 8900
			w := int64(1 + (n+i)%3)
			if _, err := b.Put(ctx, ratelimit.Item{Name: "x", Time: ts, Weight: w}); err != nil {
				t.Fatal(err)
			}
			if ts < 5000 { // the bound of a leak at 6000 with a 1s interval
				oldUnits += w
				if n == 0 {
					oldUnitsOfName0 += w
				}
			}
		}
	}
	b0, _ := s.Bucket(ctx, "name-0")
	before0, _ := b0.Count(ctx)
	if n, err := b0.Leak(ctx, 6000); err != nil || n != oldUnitsOfName0 {
		t.Fatalf("view Leak = %d, %v; want %d", n, err, oldUnitsOfName0)
	}
	if n, _ := b0.Count(ctx); n != before0-oldUnitsOfName0 {
		t.Fatalf("view Count after Leak = %d, want %d", n, before0-oldUnitsOfName0)
	}
	if it, ok, _ := b0.Peek(ctx, countOf(t, b0)-1); !ok || it.Time != 5000 {
		t.Fatalf("oldest unit after Leak = %v, %v; want one at 5000 (the inclusive edge)", it, ok)
	}
	if n, err := s.Leak(ctx, 6000); err != nil || n != oldUnits-oldUnitsOfName0 {
		t.Fatalf("Store.Leak = %d, %v; want %d", n, err, oldUnits-oldUnitsOfName0)
	}
	if n, err := s.Leak(ctx, 6000); err != nil || n != 0 {
		t.Fatalf("second Store.Leak = %d, %v; want 0", n, err)
	}
	for n := range names {
		b, _ := s.Bucket(ctx, fmt.Sprint("name-", n))
		if it, ok, _ := b.Peek(ctx, countOf(t, b)-1); !ok || it.Time != 5000 {
			t.Fatalf("name-%d: oldest unit after Leak = %v, %v; want one at 5000", n, it, ok)
		}
	}
}

// countOf returns b's count.
func countOf(t *testing.T, b ratelimit.Bucket) int64 {
	t.Helper()
	n, err := b.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSweeper runs the background sweeper in a synctest bubble with a fake
// clock: a sweep deletes the names whose units all left the largest window
// and keeps the rest, and Close stops it (the bubble would not end
// otherwise).
func TestSweeper(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := ratelimit.NewFakeClock(1_000_000)
		s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "sweep.db"), []ratelimit.Rate{ratelimit.PerSecond(5)},
			sqlitestore.WithClock(clock), sqlitestore.WithSweepInterval(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := t.Context()
		for i := range 20 {
			s.Acquire(ctx, fmt.Sprint("old-", i), 1)
		}
		clock.Advance(1500 * time.Millisecond)
		s.Acquire(ctx, "fresh", 1)
		time.Sleep(1100 * time.Millisecond) // the sweep at 1s
		synctest.Wait()
		for name, want := range map[string]int64{"old-0": 0, "old-19": 0, "fresh": 1} {
			b, _ := s.Bucket(ctx, name)
			if n, err := b.Count(ctx); err != nil || n != want {
				t.Fatalf("%s: Count = %d, %v after a sweep; want %d", name, n, err, want)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCloseLeavesNoGoroutine opens and closes stores with a busy sweeper:
// no goroutine outlives Close (the sweeper's, the database's, the driver's).
func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	for i := range 5 {
		s, err := sqlitestore.Open(filepath.Join(dir, fmt.Sprint(i, ".db")), []ratelimit.Rate{ratelimit.PerSecond(5)},
			sqlitestore.WithSweepInterval(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			s.Acquire(t.Context(), "k", 1)
		}
		s.Close()
		s.Close()
	}
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
