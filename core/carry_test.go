package core_test

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// TestDecideCheck: Decide without take changes nothing, the state slices and
// Rates included, and returns what a take would, with the same rates or
// changed ones.
func TestDecideCheck(t *testing.T) {
	rs := rates(t, per(3, 100*time.Millisecond), ratelimit.PerSecond(10))
	others := []ratelimit.Rates{
		rs,
		slices.Clone(rs),
		rates(t, per(5, 100*time.Millisecond), ratelimit.PerSecond(10)),
		rates(t, per(2, 100*time.Millisecond), ratelimit.PerMinute(100)),
		rates(t, ratelimit.PerSecond(4)),
	}
	randomTakes(t, rs, 5, func(t *testing.T, rng *rand.Rand, s *core.State, now int64) {
		at, n := now+rng.Int64N(30), rng.Int64N(5)
		other := others[rng.IntN(len(others))]
		before, gcra, counter := clone(s), s.GCRA, s.Counter
		var d ratelimit.Decision
		if err := s.Decide(&d, other, at, n, false); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s, before) || &s.Rates[0] != &rs[0] ||
			(gcra != nil && &s.GCRA[0] != &gcra[0]) || (counter != nil && &s.Counter[0] != &counter[0]) {
			t.Fatalf("a check of %d at %d under %v changed the state: %+v, was %+v", n, at, other, *s, *before)
		}
		if want := take(t, clone(s), other, at, n); d != want {
			t.Fatalf("check of %d at %d under %v = %v, a take decides %v", n, at, other, d, want)
		}
	})
}

// TestRateChange holds the rules of a change of rates, matched by interval,
// to exact numbers.
func TestRateChange(t *testing.T) {
	var (
		min5, min10, min20 = rates(t, ratelimit.PerMinute(5)), rates(t, ratelimit.PerMinute(10)), rates(t, ratelimit.PerMinute(20))
		s3                 = rates(t, ratelimit.PerSecond(3))
		s3m10              = rates(t, ratelimit.PerSecond(3), ratelimit.PerMinute(10))
		s7                 = rates(t, ratelimit.PerSecond(7))
	)
	// A step takes n units at at under rates, or, with fill, takes one at a
	// time until denied and counts them.
	type step struct {
		rates   ratelimit.Rates
		at, n   int64
		fill    bool
		allowed bool
		left    int64 // Remaining, or with fill the units admitted
	}
	tests := []struct {
		name  string
		alg   ratelimit.Algorithm
		steps []step
	}{
		{"GCRA lowered then raised", ratelimit.GCRA, []step{
			{rates: min10, at: 0, n: 5, allowed: true, left: 5},
			// 4⅚ units are owed: 5 at 5/min, none left.
			{rates: min5, at: 1000, n: 1, allowed: false, left: 0},
			{rates: min5, at: 1000, n: 0, allowed: true, left: 0},
			// Still 5 owed (4 11/12 rounded up): 15 fit under 20/min.
			{rates: min20, at: 2000, fill: true, left: 15},
		}},
		{"GCRA owed units emitted at the new pace", ratelimit.GCRA, []step{
			{rates: min10, at: 0, n: 10, allowed: true, left: 0},
			// 10 owed at 20/min: one every 3 s from 0, so 10 fit at once
			// and one more every 3 s.
			{rates: min20, at: 0, fill: true, left: 10},
			{rates: min20, at: 2999, n: 1, allowed: false, left: 0},
			{rates: min20, at: 3000, n: 1, allowed: true, left: 0},
		}},
		{"GCRA lowered below the units owed", ratelimit.GCRA, []step{
			{rates: min20, at: 0, n: 20, allowed: true, left: 0},
			// 20 owed at 5/min: emitted over 4 min; room again at 3 min.
			{rates: min5, at: 0, n: 0, allowed: false, left: 0},
			{rates: min5, at: 179_999, n: 0, allowed: false, left: 0},
			{rates: min5, at: 180_000, n: 0, allowed: true, left: 0},
			{rates: min5, at: 192_000, fill: true, left: 1},
		}},
		{"GCRA fractional owed unit rounds up", ratelimit.GCRA, []step{
			{rates: s3, at: 0, n: 1, allowed: true, left: 2},
			// 0.7 of a unit is owed at 100 ms: 1 at 7/s, so 6 fit.
			{rates: s7, at: 100, fill: true, left: 6},
		}},
		{"GCRA same limit keeps the state", ratelimit.GCRA, []step{
			{rates: s3, at: 0, n: 3, allowed: true, left: 0},
			{rates: s3m10, at: 500, fill: true, left: 1},
			{rates: s3, at: 500, fill: true, left: 0},
		}},
		{"GCRA new interval starts empty", ratelimit.GCRA, []step{
			{rates: s3, at: 0, n: 3, allowed: true, left: 0},
			{rates: s3, at: 1000, n: 3, allowed: true, left: 0},
			// The 10/min rate counts none of the 6 units: 3 fit.
			{rates: s3m10, at: 2000, fill: true, left: 3},
			{rates: s3m10, at: 3000, fill: true, left: 3},
			{rates: s3m10, at: 4000, fill: true, left: 3},
			// 9 units at 6 s each from 2000: 1 fits at 5000; none if it
			// counted the first 6.
			{rates: s3m10, at: 5000, fill: true, left: 1},
		}},
		{"GCRA dropped interval is gone", ratelimit.GCRA, []step{
			{rates: s3m10, at: 0, n: 3, allowed: true, left: 0},
			{rates: s3m10, at: 1000, n: 3, allowed: true, left: 0},
			{rates: s3m10, at: 2000, n: 3, allowed: true, left: 0},
			{rates: s3, at: 3000, n: 3, allowed: true, left: 0},
			// 10/min is back, empty: only the 3/s rate binds.
			{rates: s3m10, at: 4000, fill: true, left: 3},
		}},
		{"counter lowered then raised", ratelimit.SlidingWindowCounter, []step{
			{rates: min10, at: 0, n: 5, allowed: true, left: 5},
			{rates: min5, at: 1000, n: 1, allowed: false, left: 0},
			{rates: min5, at: 1000, n: 0, allowed: true, left: 0},
			{rates: min20, at: 2000, fill: true, left: 15},
		}},
		{"counter keeps the previous window", ratelimit.SlidingWindowCounter, []step{
			{rates: min10, at: 0, n: 10, allowed: true, left: 0},
			// At 60 s the 10 units weigh 10 (over 5/min); at 90 s, 5.
			{rates: min5, at: 60_000, n: 0, allowed: false, left: 0},
			{rates: min5, at: 90_000, n: 0, allowed: true, left: 0},
			{rates: min20, at: 90_000, fill: true, left: 15},
		}},
		{"counter new interval starts empty", ratelimit.SlidingWindowCounter, []step{
			{rates: s3, at: 0, n: 3, allowed: true, left: 0},
			{rates: s3, at: 2000, n: 3, allowed: true, left: 0},
			// The 10/min window [0, 60 s) counts none of the 6 units.
			{rates: s3m10, at: 4000, n: 3, allowed: true, left: 0},
			{rates: s3m10, at: 6000, n: 3, allowed: true, left: 0},
			{rates: s3m10, at: 8000, fill: true, left: 3},
			{rates: s3m10, at: 10_000, fill: true, left: 1},
		}},
		{"counter dropped interval is gone", ratelimit.SlidingWindowCounter, []step{
			{rates: s3m10, at: 0, n: 3, allowed: true, left: 0},
			{rates: s3m10, at: 2000, n: 3, allowed: true, left: 0},
			{rates: s3m10, at: 4000, n: 3, allowed: true, left: 0},
			{rates: s3, at: 6000, n: 3, allowed: true, left: 0},
			{rates: s3m10, at: 8000, fill: true, left: 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &core.State{Algorithm: tt.alg}
			for i, st := range tt.steps {
				if st.fill {
					if got := fill(t, s, st.rates, st.at); got != st.left {
						t.Fatalf("step %d: %d units fit at %d under %v, want %d", i, got, st.at, st.rates, st.left)
					}
					continue
				}
				d := take(t, s, st.rates, st.at, st.n)
				if d.Allowed != st.allowed || d.Remaining != st.left {
					t.Fatalf("step %d: take of %d at %d under %v: %v; want allowed %v, %d left", i, st.n, st.at, st.rates, d, st.allowed, st.left)
				}
			}
		})
	}
}

// TestRateChangeGCRAState: the state a GCRA carry leaves, to the
// fraction of a millisecond.
func TestRateChangeGCRAState(t *testing.T) {
	s := &core.State{Algorithm: ratelimit.GCRA}
	take(t, s, rates(t, ratelimit.PerSecond(3)), 0, 1) // TAT 333⅓
	// 0.7 units owed at 100, rounded up to 1, emitted at 7/s: 142 6/7 ms.
	take(t, s, rates(t, ratelimit.PerSecond(7)), 100, 0)
	if want := []core.GCRAState{{TAT: 242, Rem: 6}}; !slices.Equal(s.GCRA, want) {
		t.Errorf("GCRA = %+v, want %+v", s.GCRA, want)
	}
	// Nothing owed: the carry leaves no history.
	take(t, s, rates(t, ratelimit.PerSecond(3)), 243, 0)
	if want := []core.GCRAState{{}}; !slices.Equal(s.GCRA, want) {
		t.Errorf("GCRA after its TAT = %+v, want %+v", s.GCRA, want)
	}
}

// TestRateChangeSameRates: the same list, or an equal one, carries nothing
// and allocates nothing.
func TestRateChangeSameRates(t *testing.T) {
	rs := rates(t, per(3, 100*time.Millisecond), ratelimit.PerSecond(10))
	eq := slices.Clone(rs)
	for _, alg := range constantAlgs {
		t.Run(string(alg), func(t *testing.T) {
			s := &core.State{Algorithm: alg}
			take(t, s, rs, 0, 2)
			other := clone(s)
			for at := int64(0); at < 2000; at += 37 {
				take(t, s, rs, at, 1)
				take(t, other, eq, at, 1)
			}
			if !reflect.DeepEqual(s, other) {
				t.Errorf("takes under an equal list: %+v; under the same list: %+v", *other, *s)
			}
			var d ratelimit.Decision
			for _, list := range []ratelimit.Rates{rs, eq} {
				at := int64(5000)
				allocs := testing.AllocsPerRun(100, func() {
					at++
					if err := s.Decide(&d, list, at, 1, true); err != nil {
						t.Fatal(err)
					}
				})
				if allocs != 0 {
					t.Errorf("Decide under %v allocates %v times per call, want 0", list, allocs)
				}
			}
		})
	}
}

// TestRateChangeInvalid: rates the algorithm cannot compute exactly, or an
// algorithm the state does not know, fail with the state unchanged.
func TestRateChangeInvalid(t *testing.T) {
	rs := rates(t, ratelimit.PerSecond(3))
	big := rates(t, ratelimit.PerSecond(3), per(1_000_000, ratelimit.MaxInterval))
	for _, alg := range constantAlgs {
		for _, take_ := range []bool{true, false} {
			s := &core.State{Algorithm: alg}
			take(t, s, rs, 0, 2)
			before := clone(s)
			var d ratelimit.Decision
			err := s.Decide(&d, big, 10, 1, take_)
			if !errors.Is(err, ratelimit.ErrInvalidRate) {
				t.Errorf("%s, take %v: Decide under %v = %v, want an error wrapping ErrInvalidRate", alg, take_, big, err)
			}
			if !reflect.DeepEqual(s, before) {
				t.Errorf("%s, take %v: the failed Decide changed the state to %+v, was %+v", alg, take_, *s, *before)
			}
		}
	}
	for _, alg := range []ratelimit.Algorithm{"", ratelimit.SlidingWindowLog, "leaky"} {
		s := &core.State{Algorithm: alg}
		var d ratelimit.Decision
		if err := s.Decide(&d, rs, 0, 1, true); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("State{Algorithm: %q}.Decide = %v, want an error wrapping ErrInvalidArgument", alg, err)
		}
		if s.Rates != nil || s.GCRA != nil || s.Counter != nil {
			t.Errorf("State{Algorithm: %q}: the failed Decide changed the state to %+v", alg, *s)
		}
		// Rates already in place do not hide the unknown algorithm.
		s.Rates, s.Counter = rs, make([]core.CounterState, 1)
		if err := s.Decide(&d, rs, 0, 1, true); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("State{Algorithm: %q} with its rates set: Decide = %v, want an error wrapping ErrInvalidArgument", alg, err)
		}
	}
}

// TestStateMismatch: a state whose slice does not match its Rates (a store
// loaded half of it) is a key with no history, to Decide and IdleAt alike.
func TestStateMismatch(t *testing.T) {
	rs := rates(t, per(3, 100*time.Millisecond), ratelimit.PerSecond(10))
	tests := []struct {
		name string
		s    core.State
	}{
		{"GCRA nil", core.State{Algorithm: ratelimit.GCRA, Rates: rs}},
		{"GCRA short", core.State{Algorithm: ratelimit.GCRA, Rates: rs, GCRA: []core.GCRAState{{TAT: 1 << 40}}}},
		{"GCRA long", core.State{Algorithm: ratelimit.GCRA, Rates: rs, GCRA: make([]core.GCRAState, 3)}},
		{"GCRA with a counter slice", core.State{Algorithm: ratelimit.GCRA, Rates: rs, Counter: make([]core.CounterState, 2)}},
		{"counter nil", core.State{Algorithm: ratelimit.SlidingWindowCounter, Rates: rs}},
		{"counter short", core.State{Algorithm: ratelimit.SlidingWindowCounter, Rates: rs, Counter: []core.CounterState{{Cur: 3}}}},
		{"counter with a GCRA slice", core.State{Algorithm: ratelimit.SlidingWindowCounter, Rates: rs, GCRA: []core.GCRAState{{TAT: 1 << 40}, {TAT: 1 << 40}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			if at := s.IdleAt(); at != -1<<63 {
				t.Errorf("IdleAt = %d, want the smallest int64", at)
			}
			fresh := &core.State{Algorithm: s.Algorithm}
			for _, take_ := range []bool{false, true} {
				var d ratelimit.Decision
				if err := s.Decide(&d, rs, 1000, 2, take_); err != nil {
					t.Fatal(err)
				}
				if want := take(t, clone(fresh), rs, 1000, 2); d != want {
					t.Errorf("take %v: Decide = %v, want %v as for no history", take_, d, want)
				}
			}
			take(t, fresh, rs, 1000, 2)
			if !reflect.DeepEqual(&s, fresh) {
				t.Errorf("state after the take %+v, want %+v", s, *fresh)
			}
		})
	}
}

// TestGCRACarryNeverGains: after a change of limit, GCRA admits no more than
// the log would with the units owed still held, exactly: in a span t from
// the change, at most floor(limit − owed + t·limit/interval), owed being the
// exact fraction of units not yet emitted at the old rate. All at once at
// the change, it admits limit − ceil(owed).
func TestGCRACarryNeverGains(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	intervals := []int64{7, 100, 1000, 1234, 60_000}
	for range 3000 {
		iv := intervals[rng.IntN(len(intervals))]
		from, to := 1+rng.Int64N(40), 1+rng.Int64N(40)
		old, next := rates(t, per(from, time.Duration(iv)*time.Millisecond)), rates(t, per(to, time.Duration(iv)*time.Millisecond))
		s := &core.State{Algorithm: ratelimit.GCRA}
		now := int64(1_000_000)
		for range 1 + rng.IntN(20) {
			now += rng.Int64N(iv/2 + 1)
			take(t, s, old, now, rng.Int64N(from+1))
		}
		change := now + rng.Int64N(iv/2+1)
		// owed = num / iv units.
		num := max((s.GCRA[0].TAT-change)*from+s.GCRA[0].Rem, 0)
		once := clone(s)
		if got, want := fill(t, once, next, change), max(to-(num+iv-1)/iv, 0); got != want {
			t.Fatalf("%v→%v at %d (state %+v, owed %d/%d): %d fit at once, want %d", old, next, change, s.GCRA, num, iv, got, want)
		}
		admitted := int64(0)
		for at := change; at <= change+2*iv; at += 1 + rng.Int64N(iv/3+1) {
			admitted += fill(t, s, next, at)
			span := at - change
			if limit := max((to*iv-num+span*to)/iv, 0); admitted > limit {
				t.Fatalf("%v→%v at %d (owed %d/%d): %d units in %d ms, more than %d", old, next, change, num, iv, admitted, span, limit)
			}
		}
	}
}
