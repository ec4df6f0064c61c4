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

// TestKeysIsolated holds key A's lock for 2s in a transaction on another
// connection (by calling the take function inside it), under the log and
// under GCRA: takes on key B go on at once; under GCRA a denial of A and a
// check of A (which write nothing) answer at once too; and an admitted take
// on A (and under the log a check of A), a refund, a charge, a take under a
// block and a block of A wait for the lock (bounded by their context)
// instead of being denied, then the take counts the held take.
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
			// A first take on the new table's functions compiles them on its
			// connection: done before the hold, it is not timed.
			if _, err := s.Take(ctx, "warm", rates, 1); err != nil {
				t.Fatal(err)
			}
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, fmt.Sprintf(c.call, table)); err != nil {
				tx.Rollback(context.WithoutCancel(ctx))
				t.Fatal(err)
			}
			held := time.Now()
			released := make(chan struct{})
			go func() {
				defer close(released)
				time.Sleep(2 * time.Second)
				tx.Commit(context.WithoutCancel(ctx))
			}()
			defer func() { <-released }()

			quick := func(what string, f func() (ratelimit.Decision, error), allowed bool) {
				t.Helper()
				start := time.Now()
				d, err := f()
				if took := time.Since(start); err != nil || d.Allowed != allowed || took > 300*time.Millisecond {
					t.Fatalf("%s while A is held = %v, %v after %v; want allowed %v well under 300ms", what, d, err, took, allowed)
				}
			}
			for range 5 {
				quick("Take B", func() (ratelimit.Decision, error) { return s.Take(ctx, "B", rates, 1) }, true)
			}
			if c.alg == ratelimit.GCRA {
				quick("Take A 101", func() (ratelimit.Decision, error) { return s.Take(ctx, "A", rates, 101) }, false)
				// The held take is not committed: a check sees 100 fit.
				quick("Check A 100", func() (ratelimit.Decision, error) { return s.Check(ctx, "A", rates, 100) }, true)
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
			d, err := s.Take(ctx, "A", rates, 1) // waits for the commit, then fits
			if err != nil || !d.Allowed || d.Remaining != 98 {
				t.Fatalf("Take A after the wait = %v, %v; want allowed, 98 left (the held take and this one)", d, err)
			}
			if waited := time.Since(held); waited < 2*time.Second {
				t.Fatalf("Take A returned after %v, before the lock was released", waited)
			}
		})
	}
}
