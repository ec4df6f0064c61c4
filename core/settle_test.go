package core_test

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// step is one take of a settle scenario.
type step struct{ at, n int64 }

// replay takes steps in order against rates into a new state of alg, and
// reports which were admitted.
func replay(t *testing.T, alg ratelimit.Algorithm, rates ratelimit.Rates, steps []step) (core.State, []bool) {
	t.Helper()
	s := core.State{Algorithm: alg}
	admitted := make([]bool, len(steps))
	for i, st := range steps {
		var d ratelimit.Decision
		if err := s.Decide(&d, rates, st.at, st.n, true); err != nil {
			t.Fatal(err)
		}
		admitted[i] = d.Allowed
	}
	return s, admitted
}

// room returns how many units of one fit s at now, one at a time: the
// room a state leaves. s is not changed.
func room(t *testing.T, s core.State, rates ratelimit.Rates, now int64) int64 {
	t.Helper()
	s = *clone(&s)
	n := int64(0)
	for {
		var d ratelimit.Decision
		if err := s.Decide(&d, rates, now, 1, true); err != nil {
			t.Fatal(err)
		}
		if !d.Allowed {
			return n
		}
		n++
	}
}

// TestRefundNeverMoreRoom refunds one admitted take of a random history at
// a random later time: the state never leaves more room, now or at any
// later time, than the same history without that take, and a refund once
// the take no longer counts changes nothing.
func TestRefundNeverMoreRoom(t *testing.T) {
	lists := []ratelimit.Rates{
		{{Limit: 5, Interval: time.Second}},
		{{Limit: 3, Interval: 700 * time.Millisecond}, {Limit: 20, Interval: 10 * time.Second}},
		{{Limit: 7, Interval: 30 * time.Millisecond}},
	}
	rng := rand.New(rand.NewPCG(5, 8))
	for _, alg := range []ratelimit.Algorithm{ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		for _, rates := range lists {
			for trial := range 1500 {
				steps := make([]step, 1+rng.IntN(30))
				at := int64(0)
				for i := range steps {
					at += rng.Int64N(rates[0].IntervalMillis()/2 + 1)
					steps[i] = step{at, 1 + rng.Int64N(rates[0].Limit)}
				}
				s, admitted := replay(t, alg, rates, steps)
				a := rng.IntN(len(steps))
				if !admitted[a] {
					continue
				}
				now := at + rng.Int64N(2*rates.Largest().IntervalMillis())
				n := 1 + rng.Int64N(steps[a].n)
				before := *clone(&s)
				if err := s.Refund(new(ratelimit.Decision), rates, now, steps[a].at, n); err != nil {
					t.Fatal(err)
				}
				// The same admissions but A's: each was admitted with A
				// there, so it is without it.
				var kept []step
				for i, st := range steps {
					if admitted[i] && i != a {
						kept = append(kept, st)
					}
				}
				without, _ := replay(t, alg, rates, kept)
				for _, later := range []int64{now, now + rates[0].IntervalMillis()/3, now + rates.Largest().IntervalMillis()} {
					if got, max := room(t, s, rates, later), room(t, without, rates, later); got > max {
						t.Fatalf("%s %v trial %d: refund of %d of take %d %v at %d: room at %d is %d, more than %d without the take (steps %v)",
							alg, rates, trial, n, a, steps[a], now, later, got, max, steps)
					}
				}
				if now >= steps[a].at+rates.Largest().IntervalMillis()*2 {
					if got, want := room(t, s, rates, now), room(t, before, rates, now); got != want {
						t.Fatalf("%s %v trial %d: refund of a take long expired changed the room: %d, want %d", alg, rates, trial, got, want)
					}
				}
			}
		}
	}
}

// TestRefundExact: a take refunded when it is taken, on a key with no
// backlog (GCRA) or in any window (the counter), leaves exactly the room
// there was before it, later takes notwithstanding.
func TestRefundExact(t *testing.T) {
	rates := ratelimit.Rates{{Limit: 4, Interval: time.Second}, {Limit: 10, Interval: time.Minute}}
	for _, alg := range []ratelimit.Algorithm{ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		s := core.State{Algorithm: alg}
		var d ratelimit.Decision
		for _, now := range []int64{0, 300, 2000} {
			if err := s.Decide(&d, rates, now, 3, true); err != nil || !d.Allowed {
				t.Fatalf("%s: take at %d: %v, %v", alg, now, d, err)
			}
			if err := s.Refund(new(ratelimit.Decision), rates, now, now, 3); err != nil {
				t.Fatal(err)
			}
			if got := room(t, s, rates, now); got != 4 {
				t.Fatalf("%s: room after a refund at %d = %d, want 4", alg, now, got)
			}
			if err := s.Refund(new(ratelimit.Decision), rates, now, now, 4); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCharge: a charge takes its units whatever the limits, overdrawing;
// the key is denied until the excess has gone, as the algorithm counts it.
func TestCharge(t *testing.T) {
	rates := ratelimit.Rates{{Limit: 4, Interval: time.Second}}
	for _, tt := range []struct {
		alg   ratelimit.Algorithm
		retry time.Duration // of a take of 1 after 4 and a charge of 3
	}{
		// TAT at 7 units × 250 ms: one more fits once 2000 ms is within a second.
		{ratelimit.GCRA, time.Second},
		// 7 units in the window starting at 0: in the next, 7·(1000-e)/1000 <= 3.
		{ratelimit.SlidingWindowCounter, 1572 * time.Millisecond},
	} {
		s := core.State{Algorithm: tt.alg}
		var d ratelimit.Decision
		if err := s.Decide(&d, rates, 0, 4, true); err != nil || !d.Allowed {
			t.Fatalf("%s: %v, %v", tt.alg, d, err)
		}
		if err := s.Charge(new(ratelimit.Decision), rates, 0, 3); err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(&d, rates, 0, 0, true); err != nil || d.Allowed || d.Remaining != 0 {
			t.Fatalf("%s: standing after an overdraft = %v, %v; want not allowed, 0 left", tt.alg, d, err)
		}
		if err := s.Decide(&d, rates, 0, 1, true); err != nil || d.Allowed || d.RetryAfter != tt.retry {
			t.Fatalf("%s: take after an overdraft = %v, %v; want retry in %v", tt.alg, d, err, tt.retry)
		}
	}
}

// TestSettleBadInput: weights below 0 or above the smallest limit are
// refused, naming the weight, and change nothing.
func TestSettleBadInput(t *testing.T) {
	rates := ratelimit.Rates{{Limit: 4, Interval: time.Second}, {Limit: 10, Interval: time.Minute}}
	for _, n := range []int64{-1, 5} {
		s := core.State{Algorithm: ratelimit.GCRA}
		if err := s.Refund(new(ratelimit.Decision), rates, 0, 0, n); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("Refund(n=%d): err = %v, want ErrInvalidArgument", n, err)
		}
		if err := s.Charge(new(ratelimit.Decision), rates, 0, n); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("Charge(n=%d): err = %v, want ErrInvalidArgument", n, err)
		}
		if s.Rates != nil {
			t.Errorf("a refused weight changed the state: %+v", s)
		}
	}
}
