package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// TestKeysIsolated holds key A's lock in a transaction on another
// connection (by calling the take function inside it) until the test
// commits it, under the log and under GCRA: takes on key B go on while it
// is held; under GCRA a denial of A and a check of A (which write nothing)
// answer too; and an admitted take on A (and under the log a check of A), a
// refund, a charge, a take under a block and a block of A wait for the lock
// (bounded by their context) instead of being denied, and a take of A
// waiting for it returns once the transaction commits, counting the held
// take. No bound on latency: a call that waited for A's lock would wait
// until its context ends.
func TestKeysIsolated(t *testing.T) {
	pool := sharedPool(t)
	for _, c := range []struct {
		alg  ratelimit.Algorithm
		call string // the held call, on the table's functions
	}{
		{ratelimit.SlidingWindowLog, `SELECT * FROM "%s_take"('A'::bytea, 1, NULL, '{3600000}', '{100}', true, false)`},
		{ratelimit.GCRA, `SELECT * FROM "%s_take_state"('A'::bytea, 1::smallint, 1, NULL, '{3600000}', '{100}', true, false)`},
	} {
		t.Run(string(c.alg), func(t *testing.T) {
			s, table := newStore(t, pool, pgstore.WithAlgorithm(c.alg))
			rates := mustRates(t, ratelimit.PerHour(100))
			ctx := t.Context()
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, fmt.Sprintf(c.call, table)); err != nil {
				tx.Rollback(context.WithoutCancel(ctx))
				t.Fatal(err)
			}
			t.Cleanup(func() { tx.Rollback(context.Background()) }) // a no-op once committed

			// Each call that must not wait for A's lock gets 10s, far more
			// than it needs even under load; waiting for the lock, it would
			// use them all and fail with its context.
			mustNotWait := func(what string, f func(context.Context) (ratelimit.Decision, error), allowed bool) {
				t.Helper()
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				start := time.Now()
				if d, err := f(ctx); err != nil || d.Allowed != allowed {
					t.Fatalf("%s while A is held = %v, %v after %v; want allowed %v", what, d, err, time.Since(start), allowed)
				}
			}
			for range 5 {
				mustNotWait("Take B", func(ctx context.Context) (ratelimit.Decision, error) { return s.Take(ctx, "B", rates, 1) }, true)
			}
			if c.alg == ratelimit.GCRA {
				mustNotWait("Take A 101", func(ctx context.Context) (ratelimit.Decision, error) { return s.Take(ctx, "A", rates, 101) }, false)
				// The held take is not committed: a check sees 100 fit.
				mustNotWait("Check A 100", func(ctx context.Context) (ratelimit.Decision, error) { return s.Check(ctx, "A", rates, 100) }, true)
			}
			short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			if d, err := s.Take(short, "A", rates, 1); err == nil {
				t.Fatalf("Take A while held = %v; want it to wait, then fail with its context", d)
			}
			for what, f := range map[string]func(context.Context) (ratelimit.Decision, error){
				"Refund": func(ctx context.Context) (ratelimit.Decision, error) {
					return s.Refund(ctx, "A", rates, ratelimit.Decision{Allowed: true, Rate: rates[0], At: time.Now().UnixMilli()}, 1)
				},
				"Charge": func(ctx context.Context) (ratelimit.Decision, error) { return s.Charge(ctx, "A", rates, 1) },
				"TakeBlocking": func(ctx context.Context) (ratelimit.Decision, error) {
					return s.TakeBlocking(ctx, "A", rates, 101, ratelimit.Block{For: time.Second})
				},
				"Block": func(ctx context.Context) (ratelimit.Decision, error) {
					return ratelimit.Decision{}, s.Block(ctx, "A", time.Second)
				},
			} {
				short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
				if d, err := f(short); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("%s A while held = %v, %v; want it to wait for the lock, then fail with its context", what, d, err)
				}
			}
			if c.alg == ratelimit.SlidingWindowLog {
				short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
				if d, err := s.Check(short, "A", rates, 1); err == nil {
					t.Fatalf("Check A while held = %v; want it to wait for the lock, then fail with its context", d)
				}
			}
			type result struct {
				d   ratelimit.Decision
				err error
			}
			waiting := make(chan result, 1)
			go func() {
				d, err := s.Take(ctx, "A", rates, 1)
				waiting <- result{d, err}
			}()
			select {
			case r := <-waiting:
				t.Fatalf("Take A while held = %v, %v; want it to wait for the commit", r.d, r.err)
			case <-time.After(200 * time.Millisecond):
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if r := <-waiting; r.err != nil || !r.d.Allowed || r.d.Remaining != 98 {
				t.Fatalf("Take A after the commit = %v, %v; want allowed, 98 left (the held take and this one)", r.d, r.err)
			}
		})
	}
}
