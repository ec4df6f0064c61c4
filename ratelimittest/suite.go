package ratelimittest

import (
	"io"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// Run runs every conformance case, for each algorithm, against the stores
// newStore makes: each call must return a fresh, empty store of algorithm alg
// that stamps takes with clock, or with its own clock when clock is nil.
func Run(t *testing.T, newStore func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store) {
	t.Helper()
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			for _, c := range cases {
				if c.log && alg != ratelimit.SlidingWindowLog {
					continue
				}
				t.Run(c.name, func(t *testing.T) { c.fn(t, newEnv(t, alg, newStore)) })
			}
		})
	}
}

var cases = []struct {
	name string
	log  bool // for the sliding-window log only
	fn   func(*testing.T, *env)
}{
	{"WindowEdge", true, testWindowEdge},
	{"RetryAfter", true, testRetryAfter},
	{"MultiRate", true, testMultiRate},
	{"Weights", true, testWeights},
	{"ModelAgreement", false, testModelAgreement},
	{"Standing", false, testStanding},
	{"Check", false, testCheck},
	{"Reset", false, testReset},
	{"BadInput", false, testBadInput},
	{"AnyKey", false, testAnyKey},
	{"RateChange", false, testRateChange},
	{"RateChangeConcurrent", false, testRateChangeConcurrent},
	{"Plans", false, testPlans},
	{"SharedStore", false, testSharedStore},
	{"Policies", false, testPolicies},
	{"DenialCache", false, testDenialCache},
	{"ConcurrentExact", false, testConcurrentExact},
	{"ConcurrentOwnClock", false, testConcurrentOwnClock},
	{"SettleAgreement", false, testSettleAgreement},
	{"CountFailures", false, testCountFailures},
	{"RefundConcurrent", false, testRefundConcurrent},
	{"SettleBadInput", false, testSettleBadInput},
	{"Block", false, testBlock},
	{"BlockAfter", false, testBlockAfter},
	{"BlockEscalate", false, testBlockEscalate},
	{"BlockConcurrent", false, testBlockConcurrent},
	{"BlockBadInput", false, testBlockBadInput},
	{"BlockFor", false, testBlockFor},
}

// env is one case's store, on a fake clock the case moves.
type env struct {
	t        *testing.T
	alg      ratelimit.Algorithm
	clock    *core.FakeClock
	store    ratelimit.Store
	newStore func(*testing.T, ratelimit.Algorithm, core.Clock) ratelimit.Store
	base     int64 // the fake clock's reading at t=0 of the case
}

func newEnv(t *testing.T, alg ratelimit.Algorithm, newStore func(*testing.T, ratelimit.Algorithm, core.Clock) ratelimit.Store) *env {
	// The fake clock starts at the wall clock's current second: a store that
	// expires state by wall-clock time keeps it for the case, and a store
	// with a clock domain of its own does not care.
	base := time.Now().Truncate(time.Second).UnixMilli()
	e := &env{t: t, alg: alg, clock: core.NewFakeClock(base), newStore: newStore, base: base}
	e.store = e.open(e.clock)
	return e
}

// open returns a new store on clock, closed when the case ends.
func (e *env) open(clock core.Clock) ratelimit.Store {
	e.t.Helper()
	s := e.newStore(e.t, e.alg, clock)
	if s == nil {
		e.t.Fatal("ratelimittest: newStore returned nil")
	}
	if c, ok := s.(io.Closer); ok {
		e.t.Cleanup(func() {
			if err := c.Close(); err != nil {
				e.t.Errorf("Close: %v", err)
			}
		})
	}
	return s
}

// at moves the fake clock to ms milliseconds after the case's start.
func (e *env) at(ms int64) { e.clock.Set(e.base + ms) }

// take takes n units of key against rates at ms and checks the outcome.
func (e *env) take(key string, rates ratelimit.Rates, ms, n int64, allowed bool) ratelimit.Decision {
	e.t.Helper()
	e.at(ms)
	d, err := e.store.Take(e.t.Context(), key, rates, n)
	if err != nil {
		e.t.Fatalf("Take(%q, %v, n=%d) at t=%d: %v", key, rates, n, ms, err)
	}
	if d.Allowed != allowed {
		e.t.Fatalf("Take(%q, %v, n=%d) at t=%d = %v; want allowed=%v", key, rates, n, ms, d, allowed)
	}
	return d
}

// rates returns the valid list of rs, or fails the case.
func rates(t *testing.T, rs ...ratelimit.Rate) ratelimit.Rates {
	t.Helper()
	list, err := ratelimit.NewRates(rs...)
	if err != nil {
		t.Fatalf("NewRates(%v): %v", rs, err)
	}
	return list
}

func per(n int64, d time.Duration) ratelimit.Rate { return ratelimit.Rate{Limit: n, Interval: d} }

// equal reports whether a and b are the same decision but for At, which a
// store that does not implement [ratelimit.Settler] may leave 0.
func equal(a, b ratelimit.Decision) bool {
	a.At = b.At
	return a == b
}
