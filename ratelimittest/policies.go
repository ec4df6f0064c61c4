package ratelimittest

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gorate/ratelimit"
)

// lastEvent is an Observer that keeps the last event it saw.
type lastEvent struct {
	mu sync.Mutex
	e  ratelimit.Event
	n  int
}

func (o *lastEvent) Observe(_ context.Context, e ratelimit.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.e, o.n = e, o.n+1
}

func (o *lastEvent) last() (ratelimit.Event, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.e, o.n
}

// testPolicies takes random weights at random times through three limiters
// and one run alone: a limiter with a shadow on the same store (other
// rates, its own prefix), a dry-run limiter on a store of its own, and the
// enforced limiter alone on another. The shadow never changes a decision of
// the run alone, and decides as the model does under its own rates; the dry
// run admits everything and reports exactly the run alone's decisions.
func testPolicies(t *testing.T, e *env) {
	lists := ratesLists(t, e.alg)
	enforcedRates, shadowRates := lists[0], lists[2]
	newLimiter := func(s ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
		t.Helper()
		l, err := ratelimit.New(s, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	var shadowSeen, drySeen lastEvent
	shadow := newLimiter(e.store, shadowRates, ratelimit.WithPrefix("shadow:"), ratelimit.WithObserver(&shadowSeen))
	enforced := newLimiter(e.store, enforcedRates, ratelimit.WithShadow(shadow))
	dry := newLimiter(e.open(e.clock), enforcedRates, ratelimit.WithDryRun(), ratelimit.WithObserver(&drySeen))
	alone := newLimiter(e.open(e.clock), enforcedRates)
	shadowModel := newModel(e.alg)
	rng := rand.New(rand.NewPCG(11, uint64(len(e.alg))))
	now := int64(0)
	for step := range 300 {
		now += rng.Int64N(80)
		n := rng.Int64N(enforcedRates[0].Limit + 1)
		e.at(now)
		want, err := alone.AllowN(t.Context(), "k", n)
		if err != nil {
			t.Fatalf("step %d: alone: %v", step, err)
		}
		if got, err := enforced.AllowN(t.Context(), "k", n); err != nil || !equal(got, want) {
			t.Fatalf("step %d: n=%d at t=%d: with a shadow %v, %v; alone %v", step, n, now, got, err, want)
		}
		if ev, count := shadowSeen.last(); count != step+1 || ev.Policy != ratelimit.Shadow || !equal(ev.Decision, shadowModel.take(shadowRates, e.base+now, n)) {
			t.Fatalf("step %d: n=%d at t=%d: shadow event %d %+v, want the model's decision under %v with Policy shadow", step, n, now, count, ev, shadowRates)
		}
		got, err := dry.AllowN(t.Context(), "k", n)
		if err != nil || !got.Allowed {
			t.Fatalf("step %d: the dry run returned %v, %v: want allowed", step, got, err)
		}
		if ev, _ := drySeen.last(); ev.Policy != ratelimit.DryRun || !equal(ev.Decision, want) {
			t.Fatalf("step %d: n=%d at t=%d: dry-run event %+v, want %v with Policy dry_run", step, n, now, ev, want)
		}
	}
}
