package pgstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// TestBlockRestart holds the case across a restart, for every
// algorithm: at 5/min with a 10 min block, the 6th take is blocked with a
// RetryAfter of exactly 10 min, and Block blocks another key for 10 min; a
// new Store on the table finds both keys still blocked with the time left;
// Reset lifts each block at once.
func TestBlockRestart(t *testing.T) {
	pool := sharedPool(t)
	rates := mustRates(t, ratelimit.PerMinute(5))
	b := ratelimit.Block{For: 10 * time.Minute}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			clock := core.NewFakeClock(1_000_000)
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock))
			for i := range 5 {
				if d, err := s.TakeBlocking(ctx, "k", rates, 1, b); err != nil || !d.Allowed {
					t.Fatalf("take %d = %v, %v; want admitted", i+1, d, err)
				}
			}
			d, err := s.TakeBlocking(ctx, "k", rates, 1, b)
			if err != nil || d.Allowed || !d.Blocked || d.RetryAfter != 10*time.Minute {
				t.Fatalf("6th take = %v (blocked %v), %v; want blocked for 10m", d, d.Blocked, err)
			}
			if err := s.Block(ctx, "held", 10*time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			clock.Advance(3 * time.Minute) // the rate's window is over; the blocks are not
			s = newStoreOn(t, pool, table, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock))
			for _, key := range []string{"k", "held"} {
				d, err := s.TakeBlocking(ctx, key, rates, 1, b)
				if err != nil || d.Allowed || !d.Blocked || d.RetryAfter != 7*time.Minute {
					t.Fatalf("take of %s after the restart = %v (blocked %v), %v; want blocked for 7m more", key, d, d.Blocked, err)
				}
				if err := s.Reset(ctx, key); err != nil {
					t.Fatal(err)
				}
				if d, err := s.TakeBlocking(ctx, key, rates, 1, b); err != nil || !d.Allowed || d.Blocked {
					t.Fatalf("take of %s after Reset = %v (blocked %v), %v; want admitted", key, d, d.Blocked, err)
				}
			}
			if n := rowCount(t, pool, table+"_block", ""); n != 0 {
				t.Fatalf("%d block rows after the resets, want 0", n)
			}
		})
	}
}

// TestBlockTableAdded runs New on tables an earlier version made, with
// rows and without the block table and its functions: New adds them, keeps
// the key's units, and the key blocks.
func TestBlockTableAdded(t *testing.T) {
	pool := sharedPool(t)
	rates := mustRates(t, ratelimit.PerMinute(1))
	b := ratelimit.Block{For: time.Hour}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			clock := core.NewFakeClock(0)
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock))
			if d, err := s.Take(ctx, "k", rates, 1); err != nil || !d.Allowed {
				t.Fatalf("Take = %v, %v", d, err)
			}
			drop := dropFunctionsSQL(table, "blocking", "block_length") + fmt.Sprintf(`DROP TABLE %q`, table+"_block")
			if _, err := pool.Exec(ctx, drop); err != nil {
				t.Fatal(err)
			}
			s = newStoreOn(t, pool, table, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock))
			d, err := s.TakeBlocking(ctx, "k", rates, 1, b)
			if err != nil || !d.Blocked || d.RetryAfter != time.Hour {
				t.Fatalf("TakeBlocking on the kept units = %v (blocked %v), %v; want blocked for 1h", d, d.Blocked, err)
			}
		})
	}
}

// TestBlockProcesses has 4 child processes, each with its own pool, take
// one key under a block of an hour at 5/min for 300ms, at the server's
// clock: together they admit exactly the limit, every other take is
// blocked (no denial without a block), and a take of the parent is still
// blocked afterwards. Reset lifts the block.
func TestBlockProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	pool := sharedPool(t)
	rates := mustRates(t, ratelimit.PerMinute(5))
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg))
			children := startChildren(t, 4, table, helperMode+"=block", helperRate+"="+rates.String(), helperRun+"=300ms", helperAlg+"="+string(alg))
			for _, c := range children {
				c.start(t)
			}
			var admitted int
			for i, c := range children {
				ts, _, ok := c.collect()
				if !ok {
					t.Fatalf("child %d failed", i)
				}
				admitted += len(ts)
			}
			if admitted != 5 {
				t.Fatalf("%d takes admitted, want 5", admitted)
			}
			ctx := t.Context()
			b := ratelimit.Block{For: time.Hour}
			d, err := s.TakeBlocking(ctx, "hot", rates, 1, b)
			if err != nil || !d.Blocked || d.RetryAfter > time.Hour || d.RetryAfter < 50*time.Minute {
				t.Fatalf("take after the children = %v (blocked %v), %v; want blocked for most of an hour", d, d.Blocked, err)
			}
			if err := s.Reset(ctx, "hot"); err != nil {
				t.Fatal(err)
			}
			if d, err := s.TakeBlocking(ctx, "hot", rates, 1, b); err != nil || !d.Allowed {
				t.Fatalf("take after Reset = %v, %v; want admitted", d, err)
			}
		})
	}
}

// TestBlockHoldServerClock blocks keys with Block at the server's clock,
// for every algorithm: a take right after is blocked for at most the
// length given and not much less; a shorter Block leaves the longer block
// as it is; under the log, a key whose newest row is stamped ahead of the
// clock is blocked from that stamp, as a take of it would be judged.
func TestBlockHoldServerClock(t *testing.T) {
	pool := sharedPool(t)
	rates := mustRates(t, ratelimit.PerHour(100))
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg))
			blocked := func(key string, atMost, atLeast time.Duration) {
				t.Helper()
				d, err := s.TakeBlocking(ctx, key, rates, 1, ratelimit.Block{})
				if err != nil || !d.Blocked || d.RetryAfter > atMost || d.RetryAfter < atLeast {
					t.Fatalf("take of %s = %v (blocked %v), %v; want blocked for %v to %v", key, d, d.Blocked, err, atLeast, atMost)
				}
			}
			if err := s.Block(ctx, "k", time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := s.Block(ctx, "k", time.Minute); err != nil {
				t.Fatal(err)
			}
			blocked("k", time.Hour, 59*time.Minute)
			if alg != ratelimit.SlidingWindowLog {
				return
			}
			// A row a day ahead of the server's clock (a clock's reading).
			ahead := time.Now().Add(24 * time.Hour).UnixMilli()
			if _, err := pool.Exec(ctx, fmt.Sprintf(`SELECT * FROM %q('a'::bytea, 1, $1, '{3600000}', '{100}', true, false)`, table+"_take"), ahead); err != nil {
				t.Fatal(err)
			}
			if err := s.Block(ctx, "a", time.Hour); err != nil {
				t.Fatal(err)
			}
			var until int64
			if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT until_at FROM %q WHERE key = 'a'`, table+"_block")).Scan(&until); err != nil || until != ahead+time.Hour.Milliseconds() {
				t.Fatalf("block of a key with a row at %d ends at %d, %v; want an hour after the row", ahead, until, err)
			}
			blocked("a", time.Hour, time.Hour)
		})
	}
}
