package pgstore_test

import (
	"cmp"
	"fmt"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// rowCount returns the number of rows of table, or of its key's rows when
// key is not empty.
func rowCount(t *testing.T, pool *pgxpool.Pool, table, key string) (n int) {
	t.Helper()
	q, args := fmt.Sprintf(`SELECT count(*) FROM %q`, table), []any{}
	if key != "" {
		q, args = q+` WHERE key = $1`, []any{[]byte(key)}
	}
	if err := pool.QueryRow(t.Context(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLogKeepsLastTakesInterval: the log holds a key's units for the
// largest interval of its last take. A take cuts the rows older than that;
// a take under a longer interval keeps the rows from the sweeper for it; the
// sweeper deletes a row once it counts for no rate of its key's last take
// (its bound inclusive, as a window's lower edge).
func TestLogKeepsLastTakesInterval(t *testing.T) {
	pool := sharedPool(t)
	clock := core.NewFakeClock(1_000_000)
	s, table := newStore(t, pool, pgstore.WithClock(clock))
	ctx := t.Context()
	second := mustRates(t, ratelimit.PerSecond(3))
	hour := mustRates(t, ratelimit.PerSecond(3), ratelimit.PerHour(10))
	take := func(key string, rates ratelimit.Rates, n int64) ratelimit.Decision {
		t.Helper()
		d, err := s.Take(ctx, key, rates, n)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	sweep := func(want int64) {
		t.Helper()
		if n, err := pgstore.Sweep(ctx, s); err != nil || n != want {
			t.Fatalf("Sweep at %d = %d, %v; want %d rows", clock.Now(), n, err, want)
		}
	}
	// "cut": two rows under an hour, then a take under a second cuts them.
	take("cut", hour, 1)
	clock.Advance(2 * time.Second)
	take("cut", hour, 1)
	clock.Advance(2 * time.Second)
	if take("cut", second, 0); rowCount(t, pool, table, "cut") != 0 {
		t.Fatalf("%d rows of cut after a take under 3/s, 2s after the last; want 0", rowCount(t, pool, table, "cut"))
	}
	if d := take("cut", hour, 1); d.Rate != hour[0] || d.Remaining != 2 {
		t.Fatalf("Take under %v after the cut = %v; want 2 left of 3/s (nothing else counts)", hour, d)
	}

	// "kept": a row stored under a second, then a take (of nothing) under an
	// hour: the sweeper keeps the row for the hour.
	clock.Set(2_000_000)
	take("kept", second, 1)
	take("gone", second, 1)
	clock.Advance(500 * time.Millisecond)
	take("kept", hour, 0)
	clock.Advance(time.Second + 500*time.Millisecond) // 2s after the rows, at 2_002_000
	sweep(1)                                          // gone's
	if d := take("kept", hour[1:], 1); d.Remaining != 8 {
		t.Fatalf("Take under %v after the sweep = %v; want 8 left (the kept row counts)", hour[1:], d)
	}
	// cut's row at 1_004_000 and kept's at 2_000_000 count for the hour up
	// to and including 3_600_000 ms later.
	clock.Set(2_000_000 + 3_600_000)
	sweep(1) // cut's row, an hour old and more
	if n := rowCount(t, pool, table, ""); n != 2 {
		t.Fatalf("%d rows left, want kept's 2", n)
	}
	clock.Advance(time.Millisecond)
	sweep(1)
	if n := rowCount(t, pool, table, ""); n != 1 {
		t.Fatalf("%d rows left, want kept's newer one", n)
	}
}

// TestSweepBatches sweeps more rows than a batch holds, of many keys, under
// each algorithm, and keeps the rows that still count: old state is written
// through the take functions with explicit times, 500 keys a statement.
func TestSweepBatches(t *testing.T) {
	pool := sharedPool(t)
	const keys = 2500
	const base = int64(1_000_000_000) // a multiple of the interval
	for _, c := range []struct {
		alg  ratelimit.Algorithm
		call string
		// at, left: a sweep at base+at leaves left rows of the old keys.
		at, left int64
	}{
		// Key n<g> took one unit at base+g, kept for 1s: expired from
		// base+g+1000, so a sweep at base+2500 deletes g < 1500.
		{ratelimit.SlidingWindowLog, `SELECT %q(convert_to('n' || g, 'UTF8'), 1, $1 + g, '{1000}', '{10}', true, true) FROM generate_series($2::int, $3::int) AS g`, 2500, keys - 1500},
		// GCRA: idle from base+g+100, rounded up to a second, so a sweep at
		// base+2500 deletes g <= 1900.
		{ratelimit.GCRA, `SELECT %q(convert_to('n' || g, 'UTF8'), 1::smallint, 1, $1 + g, '{1000}', '{10}', true, true) FROM generate_series($2::int, $3::int) AS g`, 2500, keys - 1901},
		// The counter: idle two windows after its own, so a sweep at
		// base+3500 deletes g < 2000.
		{ratelimit.SlidingWindowCounter, `SELECT %q(convert_to('n' || g, 'UTF8'), 2::smallint, 1, $1 + g, '{1000}', '{10}', true, true) FROM generate_series($2::int, $3::int) AS g`, 3500, keys - 2000},
	} {
		t.Run(string(c.alg), func(t *testing.T) {
			ctx := t.Context()
			clock := core.NewFakeClock(base)
			s, table := newStore(t, pool, pgstore.WithAlgorithm(c.alg), pgstore.WithClock(clock))
			fn, rows := table+"_take", table
			if c.alg != ratelimit.SlidingWindowLog {
				fn, rows = table+"_take_state", table+"_state"
			}
			for lo := 0; lo < keys; lo += 500 {
				if _, err := pool.Exec(ctx, fmt.Sprintf(c.call, fn), base, lo, lo+499); err != nil {
					t.Fatal(err)
				}
			}
			clock.Set(base + 5000)
			if d, err := s.Take(ctx, "recent", mustRates(t, ratelimit.PerSecond(10)), 3); err != nil || !d.Allowed {
				t.Fatalf("Take = %v, %v", d, err)
			}
			clock.Set(base + c.at)
			if n, err := pgstore.Sweep(ctx, s); err != nil || int64(rowCount(t, pool, rows, "")) != c.left+1 {
				t.Fatalf("Sweep at %d = %d, %v, %d rows left; want %d rows left", c.at, n, err, rowCount(t, pool, rows, ""), c.left+1)
			}
			// At base+5000 only the recent key counts.
			clock.Set(base + 5000)
			if n, err := pgstore.Sweep(ctx, s); err != nil || n != c.left || rowCount(t, pool, rows, "") != 1 {
				t.Fatalf("Sweep at 5000 = %d, %v, %d rows left; want %d deleted, 1 row left", n, err, rowCount(t, pool, rows, ""), c.left)
			}
		})
	}
}

// TestStateRows checks what GCRA and the counter keep: one row per key
// whatever it takes, nothing in the log's table, and no row after Reset.
func TestStateRows(t *testing.T) {
	pool := sharedPool(t)
	rates := mustRates(t, ratelimit.PerHour(100), ratelimit.PerDay(1000))
	for _, alg := range []ratelimit.Algorithm{ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg))
			for i := range 10 {
				if d, err := s.Take(ctx, "a", rates, int64(i+1)); err != nil || !d.Allowed {
					t.Fatalf("Take = %v, %v", d, err)
				}
			}
			if d, err := s.Take(ctx, "a", rates, 50); err != nil || d.Allowed {
				t.Fatalf("Take(50) after 55 of 100/h = %v, %v; want denied", d, err)
			}
			if n, m := rowCount(t, pool, table+"_state", ""), rowCount(t, pool, table, ""); n != 1 || m != 0 {
				t.Fatalf("%d state rows and %d log rows, want 1 and 0", n, m)
			}
			if err := s.Reset(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			if n := rowCount(t, pool, table+"_state", ""); n != 0 {
				t.Fatalf("%d state rows after Reset, want 0", n)
			}
		})
	}
}

// TestSweeper lets the background sweeper delete what counts for no rate
// any more, under each algorithm, at the Store's clock.
func TestSweeper(t *testing.T) {
	pool := sharedPool(t)
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(1_000_000)
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock), pgstore.WithSweepInterval(10*time.Millisecond))
			rows := table
			if alg != ratelimit.SlidingWindowLog {
				rows += "_state"
			}
			for _, k := range []string{"a", "b", "c"} {
				if d, err := s.Take(t.Context(), k, mustRates(t, ratelimit.PerSecond(10)), 1); err != nil || !d.Allowed {
					t.Fatalf("Take = %v, %v", d, err)
				}
			}
			clock.Advance(time.Hour)
			waitFor(t, "the sweeper", func() bool { return rowCount(t, pool, rows, "") == 0 })
		})
	}
}

// TestSettledIdleAt: under GCRA and the counter, a charge and a refund
// keep the key's idle_at as a take does (core.State's IdleAt, rounded up
// to a whole second), so that the sweeper deletes the row once it counts
// nothing, and not before.
func TestSettledIdleAt(t *testing.T) {
	pool := sharedPool(t)
	rates := mustRates(t, ratelimit.PerSecond(4), ratelimit.PerMinute(10))
	for _, alg := range []ratelimit.Algorithm{ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			clock := core.NewFakeClock(1_000_500)
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock))
			m := core.State{Algorithm: alg}
			var want int64
			check := func(what string, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				want = (m.IdleAt() + 999) / 1000 * 1000
				var got int64
				q := fmt.Sprintf(`SELECT idle_at FROM %q WHERE key = 'k'`, table+"_state")
				if err := pool.QueryRow(ctx, q).Scan(&got); err != nil || got != want {
					t.Fatalf("idle_at after %s = %d, %v; want %d", what, got, err, want)
				}
			}
			var d ratelimit.Decision
			_, err := s.Charge(ctx, "k", rates, 3)
			check("Charge", cmp.Or(err, m.Charge(&d, rates, clock.Now(), 3)))
			clock.Advance(100 * time.Millisecond)
			taken, err := s.Take(ctx, "k", rates, 1)
			check("Take", cmp.Or(err, m.Decide(&d, rates, clock.Now(), 1, true)))
			clock.Advance(50 * time.Millisecond)
			_, err = s.Refund(ctx, "k", rates, taken, 1)
			check("Refund", cmp.Or(err, m.Refund(&d, rates, clock.Now(), taken.At, 1)))
			for _, c := range []struct {
				at   int64
				rows int
			}{{want - 1, 1}, {want, 0}} {
				clock.Set(c.at)
				if _, err := pgstore.Sweep(ctx, s); err != nil {
					t.Fatal(err)
				}
				if n := rowCount(t, pool, table+"_state", "k"); n != c.rows {
					t.Fatalf("%d rows after a sweep at %d (idle_at %d), want %d", n, c.at, want, c.rows)
				}
			}
		})
	}
}

// TestBlockSweep: the sweep deletes a key's block row from its Idle on and
// not before, for every algorithm: a blocked key's at the end of its block
// plus its length (the next block would no longer escalate), a key's with
// a denial counted toward a block at the end of the count's window, and a
// key's blocked by Block at the end of that block.
func TestBlockSweep(t *testing.T) {
	pool := sharedPool(t)
	rates := mustRates(t, ratelimit.PerSecond(1))
	blockNow := ratelimit.Block{For: 10 * time.Second}
	blockLater := ratelimit.Block{For: 10 * time.Second, After: 3, Within: 5 * time.Second}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			clock := core.NewFakeClock(0)
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock))
			for _, take := range []struct {
				key string
				b   ratelimit.Block
			}{{"now", blockNow}, {"now", blockNow}, {"later", blockLater}, {"later", blockLater}} {
				if _, err := s.TakeBlocking(ctx, take.key, rates, 1, take.b); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Block(ctx, "held", 7*time.Second); err != nil {
				t.Fatal(err)
			}
			for _, step := range []struct {
				at   int64
				want int
			}{{4999, 3}, {5000, 2}, {6999, 2}, {7000, 1}, {19_999, 1}, {20_000, 0}} {
				clock.Set(step.at)
				if _, err := pgstore.Sweep(ctx, s); err != nil {
					t.Fatal(err)
				}
				if got := rowCount(t, pool, table+"_block", ""); got != step.want {
					t.Fatalf("%d block rows after a sweep at %d, want %d", got, step.at, step.want)
				}
			}
		})
	}
}
