package ratelimit_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// model is one constant-state algorithm over its own state, for the
// property tests both algorithms share.
type model interface {
	decide(now, weight int64) ratelimit.Decision
	clone() model
}

type gcraModel struct {
	rates ratelimit.Rates
	state []ratelimit.GCRAState
}

func (m *gcraModel) decide(now, weight int64) (d ratelimit.Decision) {
	ratelimit.GCRA{}.DecideInto(&d, m.rates, now, weight, m.state)
	return d
}

func (m *gcraModel) clone() model {
	return &gcraModel{m.rates, slices.Clone(m.state)}
}

type counterModel struct {
	rates ratelimit.Rates
	state []ratelimit.CounterState
}

func (m *counterModel) decide(now, weight int64) (d ratelimit.Decision) {
	ratelimit.SlidingWindowCounter{}.DecideInto(&d, m.rates, now, weight, m.state)
	return d
}

func (m *counterModel) clone() model {
	return &counterModel{m.rates, slices.Clone(m.state)}
}

func newModels(t *testing.T, rates ...ratelimit.Rate) map[string]model {
	t.Helper()
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]model{
		"GCRA":    &gcraModel{rs, make([]ratelimit.GCRAState, len(rs))},
		"Counter": &counterModel{rs, make([]ratelimit.CounterState, len(rs))},
	}
}

func TestGCRASequence(t *testing.T) {
	m := newModels(t, ratelimit.PerSecond(3))["GCRA"]
	for i, want := range []int64{2, 1, 0} {
		d := m.decide(0, 1)
		if !d.Allowed || d.Remaining != want || d.ResetAfter != time.Duration(333*(i+1)+1)*time.Millisecond && i < 2 {
			t.Fatalf("put %d at 0: %+v, want allowed with %d left", i, d, want)
		}
	}
	// TAT is 1000 ms: one more unit fits once now + 1000 >= 1333⅓.
	d := m.decide(0, 1)
	if d.Allowed || d.RetryAfter != 334*time.Millisecond || d.ResetAfter != time.Second {
		t.Fatalf("4th put at 0: %+v, want denied, retry 334ms, reset 1s", d)
	}
	if d := m.clone().decide(333, 1); d.Allowed {
		t.Fatalf("put at 333: %+v, want denied", d)
	}
	if d := m.decide(334, 1); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("put at 334: %+v, want allowed with 0 left", d)
	}
	if d := m.decide(334, 4); d.Allowed || d.RetryAfter != ratelimit.Never {
		t.Fatalf("weight 4 of 3/s: %+v, want RetryAfter Never", d)
	}
}

func TestCounterSequence(t *testing.T) {
	m := newModels(t, ratelimit.PerSecond(4))["Counter"]
	// Window [1000, 2000): 4 units at 1500 fill it.
	for range 4 {
		if d := m.decide(1500, 1); !d.Allowed {
			t.Fatalf("filling the window: %+v", d)
		}
	}
	d := m.decide(1500, 1)
	// In the next window the 4 units count 4·(1000−e)/1000: one more fits
	// once that is at most 3, at e = 250, 2250 ms.
	if d.Allowed || d.RetryAfter != 750*time.Millisecond || d.ResetAfter != 1500*time.Millisecond {
		t.Fatalf("5th put at 1500: %+v, want denied, retry 750ms, reset 1.5s", d)
	}
	if d := m.clone().decide(2249, 1); d.Allowed {
		t.Fatalf("put at 2249: %+v, want denied", d)
	}
	if d := m.decide(2250, 1); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("put at 2250: %+v, want allowed with 0 left", d)
	}
}

// TestConstantStateProperties drives both algorithms with random traffic on
// a fake timeline and checks, at every step, that RetryAfter and Remaining
// are exact and that the algorithm's bound holds.
func TestConstantStateProperties(t *testing.T) {
	for _, rates := range [][]ratelimit.Rate{
		{ratelimit.PerSecond(3)},
		{ratelimit.Per(7, 300*time.Millisecond)},
		{ratelimit.PerSecond(5), ratelimit.PerMinute(40)},
		{ratelimit.Per(2, 100*time.Millisecond), ratelimit.PerSecond(10), ratelimit.Per(30, 10*time.Second)},
	} {
		for name, m := range newModels(t, rates...) {
			t.Run(name+"/"+ratelimit.Rates(rates).String(), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(len(rates))))
				smallest := rates[0].Limit
				var admitted []int64 // one timestamp per unit
				now := int64(10_000)
				for step := range 3000 {
					now += rng.Int64N(60)
					w := rng.Int64N(smallest + 1)
					if step%50 == 0 {
						w = smallest + 1
					}
					before := m.clone()
					d := m.decide(now, w)
					checkExact(t, before, now, w, d, smallest)
					if d.Allowed {
						for range w {
							admitted = append(admitted, now)
						}
					}
				}
				for _, r := range rates {
					checkBound(t, name, r, admitted)
				}
			})
		}
	}
}

// checkExact checks d, decided by m at now for w, against m itself.
func checkExact(t *testing.T, m model, now, w int64, d ratelimit.Decision, smallest int64) {
	t.Helper()
	if !d.Allowed {
		if w > smallest {
			if d.RetryAfter != ratelimit.Never {
				t.Fatalf("at %d, weight %d over the limit: RetryAfter %v, want Never", now, w, d.RetryAfter)
			}
			return
		}
		ms := d.RetryAfter.Milliseconds()
		if ms < 1 {
			t.Fatalf("at %d: denied with RetryAfter %v", now, d.RetryAfter)
		}
		if e := m.clone().decide(now+ms-1, w); e.Allowed {
			t.Fatalf("at %d, weight %d: RetryAfter %v, but it fits 1ms earlier", now, w, d.RetryAfter)
		}
		if e := m.clone().decide(now+ms, w); !e.Allowed {
			t.Fatalf("at %d, weight %d: RetryAfter %v, but it does not fit then: %+v", now, w, d.RetryAfter, e)
		}
		return
	}
	// Remaining: that many more units fit now in the tightest rate, and
	// with them one more does not (when it is the binding rate).
	after := m.clone()
	after.decide(now, w)
	if d.Remaining > 0 {
		if e := after.clone().decide(now, d.Remaining); !e.Allowed {
			t.Fatalf("at %d: Remaining %d, but that many do not fit: %+v", now, d.Remaining, e)
		}
	}
	if d.Remaining+1 <= smallest {
		if e := after.clone().decide(now, d.Remaining+1); e.Allowed {
			t.Fatalf("at %d: Remaining %d, but %d fit", now, d.Remaining, d.Remaining+1)
		}
	}
}

// checkBound checks the algorithm's promise for r over the admitted units:
// GCRA admits at most limit + floor(t·limit/interval) units in any span t;
// the counter at most limit in a fixed window and 2×limit−1 in a sliding
// one.
func checkBound(t *testing.T, name string, r ratelimit.Rate, ts []int64) {
	t.Helper()
	iv := r.IntervalMillis()
	for i := range ts {
		for j := i; j < len(ts) && ts[j]-ts[i] <= 3*iv; j++ {
			n, span := int64(j-i+1), ts[j]-ts[i]
			switch name {
			case "GCRA":
				if n > r.Limit+span*r.Limit/iv {
					t.Fatalf("%v: %d units in %d ms, more than the token-bucket bound", r, n, span)
				}
			case "Counter":
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

func TestConstantStateValidate(t *testing.T) {
	ok, _ := ratelimit.NewRates(ratelimit.PerDay(100_000_000))
	big, _ := ratelimit.NewRates(ratelimit.PerDay(200_000_000))
	for _, v := range []interface{ Validate(ratelimit.Rates) error }{ratelimit.GCRA{}, ratelimit.SlidingWindowCounter{}} {
		if err := v.Validate(ok); err != nil {
			t.Errorf("%T.Validate(%v) = %v", v, ok, err)
		}
		if err := v.Validate(big); !errors.Is(err, ratelimit.ErrInvalidRates) {
			t.Errorf("%T.Validate(%v) = %v, want ErrInvalidRates", v, big, err)
		}
	}
}

func TestConstantStateCountIdle(t *testing.T) {
	rs, _ := ratelimit.NewRates(ratelimit.PerSecond(3))
	g := make([]ratelimit.GCRAState, 1)
	var d ratelimit.Decision
	for range 3 {
		ratelimit.GCRA{}.DecideInto(&d, rs, 0, 1, g)
	}
	for _, c := range []struct {
		now   int64
		count int64
		idle  bool
	}{{0, 3, false}, {334, 2, false}, {999, 1, false}, {1000, 0, true}} {
		if n, idle := (ratelimit.GCRA{}).Count(rs, c.now, g), (ratelimit.GCRA{}).Idle(c.now, g); n != c.count || idle != c.idle {
			t.Errorf("GCRA at %d: Count %d, Idle %v; want %d, %v", c.now, n, idle, c.count, c.idle)
		}
	}
	rs, _ = ratelimit.NewRates(ratelimit.PerSecond(4))
	w := make([]ratelimit.CounterState, 1)
	for range 4 {
		ratelimit.SlidingWindowCounter{}.DecideInto(&d, rs, 1500, 1, w)
	}
	for _, c := range []struct {
		now   int64
		count int64
		idle  bool
	}{{1500, 4, false}, {2250, 3, false}, {2999, 1, false}, {3000, 0, true}} {
		if n, idle := (ratelimit.SlidingWindowCounter{}).Count(rs, c.now, w), (ratelimit.SlidingWindowCounter{}).Idle(rs, c.now, w); n != c.count || idle != c.idle {
			t.Errorf("Counter at %d: Count %d, Idle %v; want %d, %v", c.now, n, idle, c.count, c.idle)
		}
	}
}

// TestKeyStateIdleAt checks IdleAt against Idle over random states: idle
// from IdleAt on, not a millisecond before.
func TestKeyStateIdleAt(t *testing.T) {
	rs, _ := ratelimit.NewRates(ratelimit.Per(3, 100*time.Millisecond), ratelimit.PerSecond(10))
	rng := rand.New(rand.NewPCG(3, 4))
	for _, alg := range []ratelimit.Algorithm{ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter} {
		k := ratelimit.NewKeyState(alg, len(rs))
		now := int64(5000)
		var d ratelimit.Decision
		for range 3000 {
			now += rng.Int64N(40)
			k.DecideInto(&d, rs, now, rng.Int64N(4))
			at := k.IdleAt(rs)
			idle := func(t int64) bool {
				if k.GCRA != nil {
					return ratelimit.GCRA{}.Idle(t, k.GCRA)
				}
				return ratelimit.SlidingWindowCounter{}.Idle(rs, t, slices.Clone(k.Counter))
			}
			if !idle(max(at, now)) || (at > now && idle(at-1)) {
				t.Fatalf("%s: IdleAt = %d at %d, but Idle disagrees", alg, at, now)
			}
		}
	}
	if err := ratelimit.Algorithm("leaky").Validate(rs); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Errorf("Validate of an unknown algorithm: %v", err)
	}
	if err := ratelimit.Algorithm("").Validate(rs); err != nil {
		t.Errorf("Validate of the default: %v", err)
	}
	for a, want := range map[ratelimit.Algorithm]int{
		"": 0, ratelimit.AlgorithmSlidingWindowLog: 0, ratelimit.AlgorithmGCRA: 1, ratelimit.AlgorithmSlidingWindowCounter: 2, "leaky": -1,
	} {
		if a.Ordinal() != want {
			t.Errorf("%q.Ordinal() = %d, want %d", a, a.Ordinal(), want)
		}
	}
}

// TestGCRATwiceLimitInOneWindow holds the documented worst case: GCRA
// admits 2×limit units within one window of an interval, both edges
// included (the log's window), where the exact log admits limit.
func TestGCRATwiceLimitInOneWindow(t *testing.T) {
	r := ratelimit.PerSecond(3)
	m := newModels(t, r)["GCRA"]
	var admitted []int64
	for _, at := range []int64{0, 0, 0, 334, 667, 1000} {
		if d := m.decide(at, 1); !d.Allowed {
			t.Fatalf("unit at %d ms denied: %+v", at, d)
		}
		admitted = append(admitted, at)
	}
	if span := admitted[len(admitted)-1] - admitted[0]; span != r.IntervalMillis() {
		t.Fatalf("span %d ms, want one interval", span)
	}
	if n := int64(len(admitted)); n != 2*r.Limit {
		t.Fatalf("%d units in one closed window, want 2×limit = %d", n, 2*r.Limit)
	}
	checkBound(t, "GCRA", r, admitted)
}
