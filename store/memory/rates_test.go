package memorystore

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

var algs = []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter}

func newTestStore(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rateLists returns rate lists of one to three rates that share some
// intervals, as keys moving between plans see them; the last is equal to the
// second in another slice.
func rateLists(t testing.TB) []ratelimit.Rates {
	t.Helper()
	return []ratelimit.Rates{
		MustRates(t, Per(3, 100*time.Millisecond)),
		MustRates(t, Per(5, 100*time.Millisecond), ratelimit.PerSecond(20)),
		MustRates(t, Per(2, 50*time.Millisecond), ratelimit.PerSecond(10), Per(40, 10*time.Second)),
		MustRates(t, ratelimit.PerSecond(8)),
		MustRates(t, Per(5, 100*time.Millisecond), ratelimit.PerSecond(20)),
	}
}

// TestCheckMatchesTake interleaves checks, with the key's rates and with
// others, between takes that change rates now and then: each check returns
// what a take would (a take on a store replaying the key's history), and
// every take decides as it does on a store that saw no check.
func TestCheckMatchesTake(t *testing.T) {
	type take struct {
		at    int64
		rates ratelimit.Rates
		n     int64
	}
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			checked := newTestStore(t, WithAlgorithm(alg), WithClock(clock))
			plain := newTestStore(t, WithAlgorithm(alg), WithClock(clock))
			ctx, lists := t.Context(), rateLists(t)
			r := rand.New(rand.NewPCG(1, 2))
			rates := lists[0]
			var history []take
			for step := range 300 {
				now := clock.Advance(time.Duration(r.IntN(40)) * time.Millisecond)
				other, n := lists[r.IntN(len(lists))], int64(r.IntN(4))
				got, err := checked.Check(ctx, "k", other, n)
				if err != nil {
					t.Fatal(err)
				}
				replay := newTestStore(t, WithAlgorithm(alg), WithClock(clock))
				for _, h := range history {
					clock.Set(h.at)
					replay.Take(ctx, "k", h.rates, h.n)
				}
				clock.Set(now)
				if want, _ := replay.Take(ctx, "k", other, n); got != want {
					t.Fatalf("step %d: Check(%v, %d) = %+v, want %+v", step, other, n, got, want)
				}
				if r.IntN(10) == 0 {
					rates = lists[r.IntN(len(lists))]
				}
				a, err1 := checked.Take(ctx, "k", rates, 1)
				b, err2 := plain.Take(ctx, "k", rates, 1)
				if err1 != nil || err2 != nil || a != b {
					t.Fatalf("step %d: take after a check = %+v, %v; without = %+v, %v", step, a, err1, b, err2)
				}
				history = append(history, take{now, rates, 1})
			}
		})
	}
}

// TestRatesChangeMatchesCore moves keys between rate lists at random, and
// requires every take to decide as core does: core.DecideLog over the units
// the key was admitted (on a change of rates, less those the last rates no
// longer count), or core.State carried across the changes.
func TestRatesChangeMatchesCore(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			for seed := range uint64(10) {
				clock := core.NewFakeClock(1000)
				s := newTestStore(t, WithAlgorithm(alg), WithClock(clock))
				ctx, lists := t.Context(), rateLists(t)
				r := rand.New(rand.NewPCG(seed, 3))
				state := core.State{Algorithm: alg}
				var units refLog
				rates := lists[0]
				for step := range 2000 {
					now := clock.Advance(time.Duration(r.IntN(30)) * time.Millisecond)
					if r.IntN(8) == 0 {
						rates = units.rerate(rates, lists[r.IntN(len(lists))], now)
					}
					n := int64(r.IntN(4))
					got, err := s.Take(ctx, "k", rates, n)
					if err != nil {
						t.Fatal(err)
					}
					var want ratelimit.Decision
					if alg == ratelimit.SlidingWindowLog {
						core.DecideLog(&want, rates, now, n, &units)
						if want.Allowed {
							for range n {
								units.units = append(units.units, now)
							}
						}
					} else if err := state.Decide(&want, rates, now, n, true); err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Fatalf("seed %d step %d: Take(%v, %d) at %d = %+v, want %+v", seed, step, rates, n, now, got, want)
					}
				}
			}
		})
	}
}
