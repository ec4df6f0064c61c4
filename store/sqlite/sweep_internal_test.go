package sqlitestore

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// openSwept opens a Store on a new file on clock, with its background
// sweeper stopped: the test sweeps by hand.
func openSwept(t *testing.T, clock core.Clock, opts ...Option) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sweep.db"), append(opts, WithClock(clock))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.stopSweep()
	<-s.swept
	return s
}

// scalar returns the first column of query's one row, read on the store's
// connection.
func scalar(t *testing.T, s *Store, query string, args ...any) int64 {
	t.Helper()
	var n int64
	s.sem <- struct{}{}
	defer func() { <-s.sem }()
	if err := s.sess.conn.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSweepBatches fills the log with more rows than several sweep batches
// hold, old and new, over many keys and weights: a sweep deletes exactly
// the rows no rate counts any more (keeping one exactly on the window's
// edge), and changes no decision.
func TestSweepBatches(t *testing.T) {
	clock := core.NewFakeClock(0)
	s := openSwept(t, clock)
	ctx := t.Context()
	rates := ratelimit.Rates{{Limit: 1 << 40, Interval: time.Second}}
	keys, rowsPer := 50, 90 // 4500 rows, 2500 of them old: three batches
	if raceEnabled {
		keys = 25 // 1250 old rows: still two batches
	}
	var units, oldRows, oldUnits int64
	for i := range rowsPer {
		ts := int64(i * 100) // 0 .. 8900
		clock.Set(ts)
		for k := range keys {
			n := int64(1 + (k+i)%3)
			if _, err := s.Take(ctx, fmt.Sprint("key-", k), rates, n); err != nil {
				t.Fatal(err)
			}
			units += n
			if ts < 5000 { // no rate counts them at 6000
				oldRows++
				oldUnits += n
			}
		}
	}
	before := make([]ratelimit.Decision, keys)
	clock.Set(6000)
	for k := range keys {
		before[k], _ = s.Check(ctx, fmt.Sprint("key-", k), rates, 1)
	}
	if err := s.sweep(ctx, 6000); err != nil {
		t.Fatal(err)
	}
	if got, want := scalar(t, s, `SELECT count(*) FROM "ratelimit"`), int64(keys*rowsPer)-oldRows; got != want {
		t.Fatalf("%d rows after the sweep, want %d", got, want)
	}
	if got := scalar(t, s, `SELECT sum(weight) FROM "ratelimit"`); got != units-oldUnits {
		t.Fatalf("%d units after the sweep, want %d", got, units-oldUnits)
	}
	if got := scalar(t, s, `SELECT min(ts) FROM "ratelimit"`); got != 5000 {
		t.Fatalf("oldest row after the sweep at %d, want 5000 (the inclusive edge)", got)
	}
	for k := range keys {
		if d, err := s.Check(ctx, fmt.Sprint("key-", k), rates, 1); err != nil || d != before[k] {
			t.Fatalf("key-%d: Check after the sweep = %v, %v; want %v as before it", k, d, err, before[k])
		}
	}
}

// TestStateSweepBatches fills the state table with more idle rows than
// several sweep batches hold, beside rows that still count: a sweep
// deletes exactly the idle ones and changes no decision.
func TestStateSweepBatches(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openSwept(t, clock, WithAlgorithm(alg))
			table := `"` + s.q.table + `"`
			ctx := t.Context()
			rates := ratelimit.Rates{ratelimit.PerSecond(2)}
			old, young := 2500, 300
			if raceEnabled {
				old = 1100
			}
			take := func(key string, ts int64) {
				clock.Set(ts)
				if d, err := s.Take(ctx, key, rates, 2); err != nil || !d.Allowed {
					t.Fatalf("Take(%s) at %d = %v, %v", key, ts, d, err)
				}
			}
			for i := range old {
				take(fmt.Sprint("old-", i), 1000) // idle from 2000 (GCRA) or 3000 (counter)
			}
			for i := range young {
				take(fmt.Sprint("young-", i), 9000) // idle from 10000 or 11000
			}
			if err := s.sweep(ctx, 5000); err != nil {
				t.Fatal(err)
			}
			if n := scalar(t, s, "SELECT count(*) FROM "+table); n != int64(young) {
				t.Fatalf("%d rows after the sweep, want the %d that still count", n, young)
			}
			// The young keys are still full: their state was kept.
			if d, err := s.Take(ctx, "young-0", rates, 1); err != nil || d.Allowed {
				t.Fatalf("Take on a kept key = %v, %v; want a denial", d, err)
			}
			if err := s.sweep(ctx, 20_000); err != nil {
				t.Fatal(err)
			}
			if n := scalar(t, s, "SELECT count(*) FROM "+table); n != 0 {
				t.Fatalf("%d rows after sweeping everything", n)
			}
		})
	}
}

// TestLongerIntervalKeepsRows: a key's rows are kept for the largest
// interval of its last take, even when they were stored under a shorter
// one, so that a sweep never takes from a longer rate what it counts.
func TestLongerIntervalKeepsRows(t *testing.T) {
	clock := core.NewFakeClock(0)
	s := openSwept(t, clock)
	ctx := t.Context()
	short := ratelimit.Rates{ratelimit.PerSecond(2)}
	both := ratelimit.Rates{ratelimit.PerSecond(2), ratelimit.PerHour(4)}
	step := func(ms int64, key string, rates ratelimit.Rates, n int64, allowed bool) {
		t.Helper()
		clock.Set(ms)
		if d, err := s.Take(ctx, key, rates, n); err != nil || d.Allowed != allowed {
			t.Fatalf("Take(%s, %v, n=%d) at %d = %v, %v; want allowed %v", key, rates, n, ms, d, err, allowed)
		}
	}
	step(0, "a", short, 2, true)
	step(0, "b", short, 2, true)
	step(1500, "a", both, 2, true) // 2 of 2/s, 4 of 4/h
	if err := s.sweep(ctx, 5000); err != nil {
		t.Fatal(err)
	}
	rows := func(key string) int64 {
		return scalar(t, s, `SELECT count(*) FROM "ratelimit" WHERE key = ?`, key)
	}
	if a, b := rows("a"), rows("b"); a != 2 || b != 0 {
		t.Fatalf("after the sweep: %d rows of a, %d of b; want a's 2 kept for 4/h, b's swept", a, b)
	}
	step(5000, "a", both, 1, false) // the hour still counts 4
	step(5000, "b", both, 2, true)  // b's old units left at its last take's interval
}

// TestBlockSweep checks that the sweep deletes a key's block row from its
// Idle on and not before, for every algorithm: a blocked key's at the end
// of its block plus its length (the next block would no longer escalate),
// a key's with a denial counted toward a block at the end of the count's
// window.
func TestBlockSweep(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openSwept(t, clock, WithAlgorithm(alg))
			ctx := t.Context()
			rates := ratelimit.Rates{{Limit: 1, Interval: time.Second}}
			blockNow := ratelimit.Block{For: 10 * time.Second}
			blockLater := ratelimit.Block{For: 10 * time.Second, After: 3, Within: 5 * time.Second}
			for _, take := range []struct {
				key string
				b   ratelimit.Block
			}{{"now", blockNow}, {"now", blockNow}, {"later", blockLater}, {"later", blockLater}} {
				if _, err := s.TakeBlocking(ctx, take.key, rates, 1, take.b); err != nil {
					t.Fatal(err)
				}
			}
			rows := func() int64 {
				return scalar(t, s, `SELECT count(*) FROM "`+s.q.blockTable+`"`)
			}
			for _, step := range []struct {
				at   int64
				want int64
			}{{4999, 2}, {5000, 1}, {19999, 1}, {20000, 0}} {
				if err := s.sweep(ctx, step.at); err != nil {
					t.Fatal(err)
				}
				if got := rows(); got != step.want {
					t.Fatalf("%d block rows after a sweep at %d, want %d", got, step.at, step.want)
				}
			}
		})
	}
}
