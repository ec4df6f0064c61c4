package sqlitestore_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestSweeper runs the background sweeper in a synctest bubble with a fake
// clock, under each algorithm: every 10 seconds, not before, it deletes the
// rows of the keys that no rate counts any more at the store's clock and
// keeps the rest, and Close stops it (the bubble would not end otherwise).
func TestSweeper(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testSweeper(t, alg) })
		})
	}
}

func testSweeper(t *testing.T, alg ratelimit.Algorithm) {
	clock := core.NewFakeClock(1_000_000)
	path := filepath.Join(t.TempDir(), "sweep.db")
	s, err := sqlitestore.Open(path, sqlitestore.WithClock(clock), sqlitestore.WithAlgorithm(alg))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	table := map[ratelimit.Algorithm]string{ratelimit.SlidingWindowLog: "ratelimit", ratelimit.GCRA: "ratelimit_gcra", ratelimit.SlidingWindowCounter: "ratelimit_counter"}[alg]
	rows := func() int {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM "` + table + `"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	ctx := t.Context()
	rates := ratelimit.Rates{ratelimit.PerSecond(5)}
	for i := range 20 {
		s.Take(ctx, fmt.Sprint("old-", i), rates, 1)
	}
	clock.Advance(2500 * time.Millisecond) // the old keys count nothing now
	s.Take(ctx, "fresh", rates, 1)
	time.Sleep(9900 * time.Millisecond)
	synctest.Wait()
	if n := rows(); n != 21 {
		t.Fatalf("%d rows before the first sweep, want 21", n)
	}
	time.Sleep(200 * time.Millisecond) // the sweep at 10s
	synctest.Wait()
	if n := rows(); n != 1 {
		t.Fatalf("%d rows after a sweep, want fresh's 1", n)
	}
	if d, err := s.Take(ctx, "fresh", rates, 5); err != nil || d.Allowed {
		t.Fatalf("Take on the kept key = %v, %v; want a denial (1 of 5 used)", d, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCloseLeavesNoGoroutine opens and closes stores: no goroutine outlives
// Close (the sweeper's, the database's, the driver's).
func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	rates := ratelimit.Rates{ratelimit.PerSecond(5)}
	for i := range 5 {
		s, err := sqlitestore.Open(filepath.Join(dir, fmt.Sprint(i, ".db")))
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			s.Take(t.Context(), "k", rates, 1)
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

// TestStampsNeverGoBack reads a clock that goes back (a wall clock stepped
// back, or another process's clock ahead of this one's): a take decides at
// its own reading, counting the units stamped after it, and stores its
// units no earlier than the key's newest stamp, so no window ever loses a
// unit.
func TestStampsNeverGoBack(t *testing.T) {
	clock := core.NewFakeClock(10_000)
	s := openStore(t, sqlitestore.Memory, sqlitestore.WithClock(clock))
	rates := ratelimit.Rates{ratelimit.PerSecond(2)}
	for i, st := range []struct {
		clock   int64
		allowed bool
		retry   time.Duration
	}{
		{10_000, true, 0},
		{9_000, true, 0},                        // the clock went back a second: stored at 10,000
		{9_500, false, 1501 * time.Millisecond}, // the newest unit, at 10,000, leaves the window at 11,001
		{10_999, false, 2 * time.Millisecond},   // both units count in [9,999, 10,999]
		{11_001, true, 0},
	} {
		clock.Set(st.clock)
		d, err := s.Take(t.Context(), "a", rates, 1)
		if err != nil || d.Allowed != st.allowed || d.RetryAfter != st.retry {
			t.Fatalf("step %d (clock %d): %v, %v; want allowed %v, retry in %v", i, st.clock, d, err, st.allowed, st.retry)
		}
	}
}
