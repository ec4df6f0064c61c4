package core_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// fuzzRates are the lists FuzzStateCarry moves a key between: intervals of
// 100 ms, 1 s and 1 min, each with several limits, so that every change
// carries some rates, adds some and drops others.
var fuzzRates = [][]ratelimit.Rate{
	{ratelimit.PerSecond(3)},
	{ratelimit.PerSecond(10)},
	{ratelimit.PerSecond(1)},
	{ratelimit.PerSecond(3), ratelimit.PerMinute(20)},
	{ratelimit.PerSecond(7), ratelimit.PerMinute(100)},
	{ratelimit.PerMinute(50)},
	{per(2, 100*time.Millisecond), ratelimit.PerSecond(10)},
	{per(4, 100*time.Millisecond), ratelimit.PerSecond(5), ratelimit.PerMinute(30)},
	{per(1, 100*time.Millisecond), ratelimit.PerSecond(6), ratelimit.PerMinute(90)},
}

// FuzzStateCarry drives a State through random takes across random changes
// of rates. Each step is three bytes: the rates, the time since the last
// step and the weight. No step panics; every decision is exact (checkExact)
// for the state carried to its rates;
// and since the last change, GCRA admits at most limit + floor(t·limit /
// interval) units of each current rate in any span t, the counter at most
// 2×limit−1 in a span of one interval and limit in one fixed window.
func FuzzStateCarry(f *testing.F) {
	f.Add(true, []byte{1, 0, 5, 0, 10, 3, 4, 20, 7, 2, 0, 1})
	f.Add(false, []byte{4, 0, 7, 3, 1, 3, 5, 200, 0x41, 0, 255, 3})
	f.Add(true, []byte{3, 0, 3, 3, 0x80, 3, 0, 0x40, 2, 3, 0, 4, 8, 7, 1})
	f.Add(false, []byte{7, 0, 4, 8, 50, 1, 6, 0xc0, 2, 7, 1, 4})
	lists := make([]ratelimit.Rates, len(fuzzRates))
	for i, rs := range fuzzRates {
		lists[i] = rates(f, rs...)
	}
	f.Fuzz(func(t *testing.T, gcra bool, steps []byte) {
		alg := ratelimit.SlidingWindowCounter
		if gcra {
			alg = ratelimit.GCRA
		}
		if len(steps) > 3*300 {
			steps = steps[:3*300]
		}
		s := &core.State{Algorithm: alg}
		var cur ratelimit.Rates
		var admitted []int64 // one timestamp per unit since the last change
		now := int64(1_000_000)
		for ; len(steps) >= 3; steps = steps[3:] {
			rs := lists[int(steps[0])%len(lists)]
			now += int64(steps[1]) * []int64{1, 10, 100, 1000}[steps[2]>>6]
			n := int64(steps[2] & 7)
			if !slices.Equal(rs, cur) {
				cur, admitted = rs, admitted[:0]
			}
			// The state carried to rs at now, on which a decision's
			// RetryAfter and Remaining are exact (a change of rates at a
			// later time carries other units).
			before := clone(s)
			take(t, before, rs, now, 0)
			d := take(t, s, rs, now, n)
			checkExact(t, before, rs, now, n, d)
			checkState(t, s)
			if !d.Allowed {
				continue
			}
			for range n {
				admitted = append(admitted, now)
			}
			// Earlier spans were checked at earlier steps; of the spans
			// ending now, the one ending at the last unit holds the most.
			for _, r := range rs {
				checkBound(t, alg, r, admitted, len(admitted)-1)
			}
		}
	})
}

// checkState checks the invariants of s: one entry per rate in its
// algorithm's slice, none in the other, and 0 <= Rem < limit.
func checkState(t *testing.T, s *core.State) {
	t.Helper()
	switch s.Algorithm {
	case ratelimit.GCRA:
		if len(s.GCRA) != len(s.Rates) || s.Counter != nil {
			t.Fatalf("GCRA state %+v: want one GCRA entry per rate", *s)
		}
		for i, g := range s.GCRA {
			if g.Rem < 0 || g.Rem >= s.Rates[i].Limit {
				t.Fatalf("GCRA state %+v: Rem out of [0, limit)", *s)
			}
		}
	default:
		if len(s.Counter) != len(s.Rates) || s.GCRA != nil {
			t.Fatalf("counter state %+v: want one counter entry per rate", *s)
		}
	}
}
