package core_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// constantAlgs are the algorithms a core.State runs.
var constantAlgs = []ratelimit.Algorithm{ratelimit.GCRA, ratelimit.SlidingWindowCounter}

// take decides n units at at against rates on s, taking them if allowed.
func take(t testing.TB, s *core.State, rates ratelimit.Rates, at, n int64) (d ratelimit.Decision) {
	t.Helper()
	if err := s.Decide(&d, rates, at, n, true); err != nil {
		t.Fatalf("Decide(%v, at %d, n %d): %v", rates, at, n, err)
	}
	return d
}

// clone returns a copy of s that shares no state slice with it.
func clone(s *core.State) *core.State {
	c := *s
	c.GCRA, c.Counter = slices.Clone(s.GCRA), slices.Clone(s.Counter)
	return &c
}

// fill takes one unit at a time at at until a take is denied, and returns
// how many were admitted.
func fill(t testing.TB, s *core.State, rates ratelimit.Rates, at int64) int64 {
	t.Helper()
	n := int64(0)
	for take(t, s, rates, at, 1).Allowed {
		n++
	}
	return n
}

func TestGCRASequence(t *testing.T) {
	rs := rates(t, ratelimit.PerSecond(3))
	s := &core.State{Algorithm: ratelimit.GCRA}
	for i, want := range []int64{2, 1, 0} {
		d := take(t, s, rs, 0, 1)
		if !d.Allowed || d.Remaining != want || d.ResetAfter != time.Duration(333*(i+1)+1)*time.Millisecond && i < 2 {
			t.Fatalf("take %d at 0: %v, want allowed with %d left", i, d, want)
		}
	}
	// TAT is 1000 ms: one more unit fits once now + 1000 >= 1333⅓.
	d := take(t, s, rs, 0, 1)
	if d.Allowed || d.RetryAfter != 334*time.Millisecond || d.ResetAfter != time.Second {
		t.Fatalf("4th take at 0: %v, want denied, retry 334ms, reset 1s", d)
	}
	if d := take(t, clone(s), rs, 333, 1); d.Allowed {
		t.Fatalf("take at 333: %v, want denied", d)
	}
	if d := take(t, s, rs, 334, 1); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("take at 334: %v, want allowed with 0 left", d)
	}
	if d := take(t, s, rs, 334, 4); d.Allowed || d.RetryAfter != ratelimit.Never {
		t.Fatalf("weight 4 of 3/s: %v, want RetryAfter Never", d)
	}
}

func TestCounterSequence(t *testing.T) {
	rs := rates(t, ratelimit.PerSecond(4))
	s := &core.State{Algorithm: ratelimit.SlidingWindowCounter}
	// Window [1000, 2000): 4 units at 1500 fill it.
	for range 4 {
		if d := take(t, s, rs, 1500, 1); !d.Allowed {
			t.Fatalf("filling the window: %v", d)
		}
	}
	d := take(t, s, rs, 1500, 1)
	// In the next window the 4 units count 4·(1000−e)/1000: one more fits
	// once that is at most 3, at e = 250, 2250 ms.
	if d.Allowed || d.RetryAfter != 750*time.Millisecond || d.ResetAfter != 1500*time.Millisecond {
		t.Fatalf("5th take at 1500: %v, want denied, retry 750ms, reset 1.5s", d)
	}
	if d := take(t, clone(s), rs, 2249, 1); d.Allowed {
		t.Fatalf("take at 2249: %v, want denied", d)
	}
	if d := take(t, s, rs, 2250, 1); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("take at 2250: %v, want allowed with 0 left", d)
	}
}

// TestStateProperties drives both algorithms with random traffic on a fake
// timeline and checks, at every step, that RetryAfter and Remaining are
// exact and that the algorithm's bound holds.
func TestStateProperties(t *testing.T) {
	for _, list := range [][]ratelimit.Rate{
		{ratelimit.PerSecond(3)},
		{per(7, 300*time.Millisecond)},
		{ratelimit.PerSecond(5), ratelimit.PerMinute(40)},
		{per(2, 100*time.Millisecond), ratelimit.PerSecond(10), per(30, 10*time.Second)},
	} {
		rs := rates(t, list...)
		for _, alg := range constantAlgs {
			t.Run(fmt.Sprintf("%s/%v", alg, rs), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(len(rs))))
				s := &core.State{Algorithm: alg}
				smallest := rs.Smallest().Limit
				var admitted []int64 // one timestamp per unit
				now := int64(10_000)
				for step := range 3000 {
					now += rng.Int64N(60)
					n := rng.Int64N(smallest + 1)
					if step%50 == 0 {
						n = smallest + 1
					}
					before := clone(s)
					d := take(t, s, rs, now, n)
					checkExact(t, before, rs, now, n, d)
					if d.Allowed {
						for range n {
							admitted = append(admitted, now)
						}
					}
				}
				for _, r := range rs {
					checkBound(t, alg, r, admitted, 0)
				}
			})
		}
	}
}

// checkExact checks d, decided at now for n against rates on a state that
// was before, against before itself: a denial's RetryAfter is the first
// millisecond at which n fits, and an allowed take's Remaining is how many
// more fit in its rate.
func checkExact(t testing.TB, before *core.State, rates ratelimit.Rates, now, n int64, d ratelimit.Decision) {
	t.Helper()
	smallest := rates.Smallest().Limit
	if !d.Allowed {
		if n > smallest {
			if d.RetryAfter != ratelimit.Never {
				t.Fatalf("at %d, weight %d over the limit: RetryAfter %v, want Never", now, n, d.RetryAfter)
			}
			return
		}
		ms := d.RetryAfter.Milliseconds()
		if ms < 1 {
			t.Fatalf("at %d: denied with RetryAfter %v", now, d.RetryAfter)
		}
		if e := take(t, clone(before), rates, now+ms-1, n); e.Allowed {
			t.Fatalf("at %d, weight %d: RetryAfter %v, but it fits 1ms earlier", now, n, d.RetryAfter)
		}
		if e := take(t, clone(before), rates, now+ms, n); !e.Allowed {
			t.Fatalf("at %d, weight %d: RetryAfter %v, but it does not fit then: %v", now, n, d.RetryAfter, e)
		}
		return
	}
	// Remaining: that many more units fit now in the tightest rate, and
	// with them one more does not (when it is the binding rate).
	after := clone(before)
	take(t, after, rates, now, n)
	if d.Remaining > 0 {
		if e := take(t, clone(after), rates, now, d.Remaining); !e.Allowed {
			t.Fatalf("at %d: Remaining %d, but that many do not fit: %v", now, d.Remaining, e)
		}
	}
	if d.Remaining+1 <= smallest {
		if e := take(t, clone(after), rates, now, d.Remaining+1); e.Allowed {
			t.Fatalf("at %d: Remaining %d, but %d fit", now, d.Remaining, d.Remaining+1)
		}
	}
}

// checkBound checks the algorithm's promise for r over the admitted units
// ts, sorted, in the spans that end at ts[from] or later: GCRA admits at
// most limit + floor(t·limit/interval) units in any span t; the counter at
// most limit in a fixed window and 2×limit−1 in a sliding one.
func checkBound(t testing.TB, alg ratelimit.Algorithm, r ratelimit.Rate, ts []int64, from int) {
	t.Helper()
	iv := r.IntervalMillis()
	for j := from; j < len(ts); j++ {
		for i := j; i >= 0 && ts[j]-ts[i] <= 3*iv; i-- {
			n, span := int64(j-i+1), ts[j]-ts[i]
			switch alg {
			case ratelimit.GCRA:
				if n > r.Limit+span*r.Limit/iv {
					t.Fatalf("%v: %d units in %d ms, more than the token-bucket bound", r, n, span)
				}
			case ratelimit.SlidingWindowCounter:
				if span <= iv && n > 2*r.Limit-1 {
					t.Fatalf("%v: %d units in %d ms, more than 2×limit−1", r, n, span)
				}
				if ts[i]/iv == ts[j]/iv && n > r.Limit {
					t.Fatalf("%v: %d units in one fixed window", r, n)
				}
			}
		}
	}
}

// TestGCRATwiceLimitInOneWindow holds the documented worst case: GCRA
// admits 2×limit units within one window of an interval, both edges
// included (the log's window), where the exact log admits limit.
func TestGCRATwiceLimitInOneWindow(t *testing.T) {
	r := ratelimit.PerSecond(3)
	rs := rates(t, r)
	s := &core.State{Algorithm: ratelimit.GCRA}
	var admitted []int64
	for _, at := range []int64{0, 0, 0, 334, 667, 1000} {
		if d := take(t, s, rs, at, 1); !d.Allowed {
			t.Fatalf("unit at %d ms denied: %v", at, d)
		}
		admitted = append(admitted, at)
	}
	if span := admitted[len(admitted)-1] - admitted[0]; span != r.IntervalMillis() {
		t.Fatalf("span %d ms, want one interval", span)
	}
	if n := int64(len(admitted)); n != 2*r.Limit {
		t.Fatalf("%d units in one closed window, want 2×limit = %d", n, 2*r.Limit)
	}
	checkBound(t, ratelimit.GCRA, r, admitted, 0)
}

// TestMaxIntervalDecisions checks that at the longest interval a rate may
// have, every algorithm reports retry and reset times that are positive and
// within twice the interval: nothing overflows a time.Duration.
func TestMaxIntervalDecisions(t *testing.T) {
	r := per(2, ratelimit.MaxInterval)
	rs := rates(t, r)
	interval := r.IntervalMillis()
	bound := 2*ratelimit.MaxInterval + time.Millisecond
	check := func(t *testing.T, d ratelimit.Decision, allowed bool) {
		t.Helper()
		if d.Allowed != allowed {
			t.Fatalf("Allowed = %v, want %v: %v", d.Allowed, allowed, d)
		}
		if d.ResetAfter <= 0 || d.ResetAfter > bound {
			t.Errorf("ResetAfter = %v, want in (0, %v]: %v", d.ResetAfter, bound, d)
		}
		if !allowed && (d.RetryAfter <= 0 || d.RetryAfter > bound) {
			t.Errorf("RetryAfter = %v, want in (0, %v]: %v", d.RetryAfter, bound, d)
		}
	}
	// Take the limit at the start, the middle and the end of a counter
	// window, where the counter's waits are longest.
	const epoch = 1_800_000_000_000 // a wall clock in ms, 2027
	start := epoch - epoch%interval
	for _, at := range []int64{start, start + interval/2, start + interval - 1} {
		t.Run(fmt.Sprintf("log/%d", at-start), func(t *testing.T) {
			log := newRefLog()
			for range 2 {
				check(t, decideLog(rs, log, at, 1), true)
				log.insert(at, 1)
			}
			check(t, decideLog(rs, log, at, 1), false)
			check(t, decideLog(rs, log, at+interval-1, 2), false)
		})
		for _, alg := range constantAlgs {
			t.Run(fmt.Sprintf("%s/%d", alg, at-start), func(t *testing.T) {
				s := &core.State{Algorithm: alg}
				check(t, take(t, s, rs, at, 1), true)
				check(t, take(t, s, rs, at, 1), true)
				check(t, take(t, s, rs, at, 1), false)
				check(t, take(t, s, rs, at+interval-1, 2), false)
			})
		}
	}
}

func TestValidate(t *testing.T) {
	ok := rates(t, ratelimit.PerDay(100_000_000))          // 8.64e15 ≤ 2^53
	big := rates(t, ratelimit.PerDay(200_000_000))         // 1.728e16 > 2^53
	edge := rates(t, per(1<<20, (1<<33)*time.Millisecond)) // exactly 2^53
	over := rates(t, per(1<<20+1, (1<<33)*time.Millisecond))
	tests := []struct {
		alg   ratelimit.Algorithm
		rates ratelimit.Rates
		want  error
	}{
		{"", big, nil},
		{ratelimit.SlidingWindowLog, big, nil},
		{ratelimit.GCRA, ok, nil},
		{ratelimit.GCRA, edge, nil},
		{ratelimit.GCRA, big, ratelimit.ErrInvalidRate},
		{ratelimit.GCRA, over, ratelimit.ErrInvalidRate},
		{ratelimit.GCRA, rates(t, ratelimit.PerSecond(3), per(1_000_000, ratelimit.MaxInterval)), ratelimit.ErrInvalidRate},
		{ratelimit.SlidingWindowCounter, ok, nil},
		{ratelimit.SlidingWindowCounter, edge, nil},
		{ratelimit.SlidingWindowCounter, big, ratelimit.ErrInvalidRate},
		{"leaky", ok, ratelimit.ErrInvalidArgument},
		{"GCRA", ok, ratelimit.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q/%v", tt.alg, tt.rates), func(t *testing.T) {
			err := core.Validate(tt.alg, tt.rates)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want an error wrapping %v", err, tt.want)
			}
		})
	}
}

func TestIdleAt(t *testing.T) {
	g := &core.State{Algorithm: ratelimit.GCRA}
	if at := g.IdleAt(); at != -1<<63 {
		t.Errorf("IdleAt of a state with no history = %d, want the smallest int64", at)
	}
	rs := rates(t, ratelimit.PerSecond(3))
	for range 3 {
		take(t, g, rs, 0, 1)
	}
	if at := g.IdleAt(); at != 1000 {
		t.Errorf("GCRA 3/s, 3 units at 0: IdleAt = %d, want 1000", at)
	}
	take(t, g, rs, 1000, 1) // TAT 1333, Rem 1
	if at := g.IdleAt(); at != 1334 {
		t.Errorf("GCRA 3/s, one more at 1000: IdleAt = %d, want 1334", at)
	}
	c := &core.State{Algorithm: ratelimit.SlidingWindowCounter}
	rs = rates(t, ratelimit.PerSecond(4))
	for range 4 {
		take(t, c, rs, 1500, 1)
	}
	if at := c.IdleAt(); at != 3000 {
		t.Errorf("counter 4/s, 4 units at 1500: IdleAt = %d, want 3000", at)
	}
	take(t, c, rs, 2100, 0) // the 4 units move to Prev
	if at := c.IdleAt(); at != 3000 {
		t.Errorf("counter 4/s, rolled at 2100: IdleAt = %d, want 3000", at)
	}
}

// TestIdleAtRandom checks IdleAt against the decisions over random states:
// from IdleAt on, every rate counts nothing (a check of 0 units leaves its
// whole limit), and a millisecond before, some rate still counts something.
func TestIdleAtRandom(t *testing.T) {
	rs := rates(t, per(3, 100*time.Millisecond), ratelimit.PerSecond(10))
	// counts reports whether some rate of s counts a unit at at.
	counts := func(t *testing.T, s *core.State, at int64) bool {
		t.Helper()
		for i, r := range s.Rates {
			one := core.State{Algorithm: s.Algorithm, Rates: ratelimit.Rates{r}}
			if s.GCRA != nil {
				one.GCRA = s.GCRA[i : i+1]
			} else {
				one.Counter = s.Counter[i : i+1]
			}
			var d ratelimit.Decision
			if err := one.Decide(&d, one.Rates, at, 0, false); err != nil {
				t.Fatal(err)
			}
			if d.Remaining != r.Limit {
				return true
			}
		}
		return false
	}
	randomTakes(t, rs, 3, func(t *testing.T, _ *rand.Rand, s *core.State, now int64) {
		at := s.IdleAt()
		if counts(t, s, max(at, now)) || (at > now && !counts(t, s, at-1)) {
			t.Fatalf("IdleAt = %d at %d (state %+v), but the decisions disagree", at, now, *s)
		}
	})
}

// randomTakes runs, for each constant-state algorithm, 3000 random takes
// under rs (0 to 3 units, 0 to 39 ms apart) on one state, seeded with seed,
// and calls check after each with the generator, the state and the time.
func randomTakes(t *testing.T, rs ratelimit.Rates, seed uint64, check func(t *testing.T, rng *rand.Rand, s *core.State, now int64)) {
	t.Helper()
	for _, alg := range constantAlgs {
		t.Run(string(alg), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, seed+1))
			s := &core.State{Algorithm: alg}
			now := int64(5000)
			for range 3000 {
				now += rng.Int64N(40)
				take(t, s, rs, now, rng.Int64N(4))
				check(t, rng, s, now)
			}
		})
	}
}
