package promlimit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
	promlimit "github.com/gorate/ratelimit/telemetry/prometheus"
)

var tenPerSecond = ratelimit.PerSecond(10)

// TestObserveAllocs observes every kind of event of a label set already
// seen, and a memory-store decision through a limiter, without allocating.
func TestObserveAllocs(t *testing.T) {
	decided := func(p ratelimit.Policy, allowed bool, latency time.Duration) ratelimit.Event {
		return ratelimit.Event{Limiter: "api", Key: "user:1", Weight: 1, Policy: p, Latency: latency,
			Decision: ratelimit.Decision{Allowed: allowed, Rate: tenPerSecond}}
	}
	failed := func(p ratelimit.Policy) ratelimit.Event {
		return ratelimit.Event{Limiter: "api", Weight: 1, Policy: p, Latency: time.Millisecond, Err: errDown}
	}
	obs, _ := newObserver(t)
	ctx := t.Context()
	for _, e := range []ratelimit.Event{
		decided(ratelimit.Enforce, true, 0),
		decided(ratelimit.Enforce, false, 0),
		decided(ratelimit.DryRun, false, 0),
		decided(ratelimit.Shadow, true, 0),
		decided(ratelimit.Enforce, true, time.Millisecond),
		failed(ratelimit.Enforce),
		failed(ratelimit.FailOpen),
		failed(ratelimit.Shadow),
	} {
		obs.Observe(ctx, e)
		if n := testing.AllocsPerRun(100, func() { obs.Observe(ctx, e) }); n != 0 {
			t.Errorf("Observe(%+v): %v allocations, want 0", e, n)
		}
	}

	mem, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	l := newLimiter(t, mem, ratelimit.PerSecond(1e9), ratelimit.WithName("api"), ratelimit.WithObserver(obs))
	if _, err := l.Allow(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { l.Allow(ctx, "k") }); n != 0 {
		t.Errorf("Allow over a memory store with the Observer: %v allocations, want 0", n)
	}
}

// TestObserveIgnoresKey: the same event with and without a key counts in
// one series, and no label holds the key.
func TestObserveIgnoresKey(t *testing.T) {
	obs, reg := newObserver(t)
	e := ratelimit.Event{Limiter: "api", Weight: 1, Decision: ratelimit.Decision{Allowed: true, Rate: tenPerSecond}}
	obs.Observe(t.Context(), e)
	e.Key = "user:42"
	obs.Observe(t.Context(), e)
	want := `
# HELP ratelimit_decisions_total Decisions made by the store of a rate limiter, by limiter, policy (enforce, dry_run, shadow), outcome (allowed, denied) and deciding rate.
# TYPE ratelimit_decisions_total counter
ratelimit_decisions_total{limiter="api",outcome="allowed",policy="enforce",rate="10/s"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestObserveNames: an unnamed limiter is limiter="", and a limiter named
// "other" shares the series of the names beyond the cap.
func TestObserveNames(t *testing.T) {
	obs, reg := newObserver(t)
	e := ratelimit.Event{Decision: ratelimit.Decision{Allowed: true, Rate: tenPerSecond}}
	obs.Observe(t.Context(), e)
	for i := range promlimit.MaxLimiters + 1 {
		e.Limiter = fmt.Sprintf("l%03d", i)
		obs.Observe(t.Context(), e)
	}
	e.Limiter = "other"
	obs.Observe(t.Context(), e)
	for _, c := range []struct {
		limiter string
		want    float64
	}{{"", 1}, {"l000", 1}, {"l062", 1}, {"other", 3}} {
		if got := testutil.ToFloat64(obs.Decisions(c.limiter, "enforce", "allowed", "10/s")); got != c.want {
			t.Errorf("limiter=%q: %v, want %v", c.limiter, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(reg); n != promlimit.MaxLimiters+1 {
		t.Errorf("%d series, want %d", n, promlimit.MaxLimiters+1)
	}
}

// TestRatesForFailure: a failed rates lookup is a store error, not timed.
func TestRatesForFailure(t *testing.T) {
	obs, reg := newObserver(t)
	mem, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	errNoPlan := errors.New("no plan")
	l := newLimiter(t, slow{mem, time.Millisecond}, ratelimit.WithName("plans"), ratelimit.WithObserver(obs),
		ratelimit.WithRatesFor(func(context.Context, string) (ratelimit.Rates, error) { return nil, errNoPlan }))
	if _, err := l.Allow(t.Context(), "k"); !errors.Is(err, errNoPlan) {
		t.Fatalf("Allow: %v, want %v", err, errNoPlan)
	}
	want := `
# HELP ratelimit_store_errors_total Rate limiter calls whose store or rates lookup failed, by limiter and policy (enforce: error returned, fail_open: caller admitted, shadow: no effect).
# TYPE ratelimit_store_errors_total counter
ratelimit_store_errors_total{limiter="plans",policy="enforce"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestObserveConcurrent observes from many goroutines at once, on limiter
// names and rates first seen concurrently: no event is lost.
func TestObserveConcurrent(t *testing.T) {
	const goroutines, events = 8, 2000
	obs, reg := newObserver(t)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range events {
				e := ratelimit.Event{
					Limiter:  fmt.Sprintf("l%d", (g+i)%5),
					Weight:   1,
					Decision: ratelimit.Decision{Allowed: i%2 == 0, Rate: ratelimit.PerSecond(int64(i%7 + 1))},
					Latency:  time.Duration(i%3) * time.Millisecond,
				}
				if i%10 == 0 {
					e.Decision, e.Policy, e.Err = ratelimit.Decision{}, ratelimit.FailOpen, errDown
				}
				obs.Observe(t.Context(), e)
			}
		})
	}
	wg.Wait()
	total := float64(goroutines * events)
	errs := total / 10
	for _, c := range []struct {
		metric string
		want   float64
	}{
		{"ratelimit_decisions_total", total - errs},
		{"ratelimit_store_errors_total", errs},
		{"ratelimit_fail_open_passes_total", errs},
	} {
		if got := sum(t, reg, c.metric); got != c.want {
			t.Errorf("%s: %v in all, want %v", c.metric, got, c.want)
		}
	}
}

// TestObserveUnknownPolicy: a policy the root package does not define is
// counted under its String.
func TestObserveUnknownPolicy(t *testing.T) {
	obs, _ := newObserver(t)
	p := ratelimit.Policy(9)
	for range 2 {
		obs.Observe(t.Context(), ratelimit.Event{Limiter: "x", Policy: p, Decision: ratelimit.Decision{Rate: tenPerSecond}})
		obs.Observe(t.Context(), ratelimit.Event{Limiter: "x", Policy: p, Err: errDown})
	}
	if got := testutil.ToFloat64(obs.Decisions("x", "policy(9)", "denied", "10/s")); got != 2 {
		t.Errorf("decisions of policy(9): %v, want 2", got)
	}
	if got := testutil.ToFloat64(obs.StoreErrors("x", "policy(9)")); got != 2 {
		t.Errorf("store errors of policy(9): %v, want 2", got)
	}
}
