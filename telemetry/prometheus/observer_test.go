package promlimit_test

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
	promlimit "github.com/gorate/ratelimit/telemetry/prometheus"
)

// newObserver returns an Observer registered on a registry of its own.
func newObserver(t *testing.T, opts ...promlimit.Option) (*promlimit.Observer, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	o, err := promlimit.New(reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return o, reg
}

// newLimiter returns a limiter over store configured by opts, closed when
// the test ends.
func newLimiter(t *testing.T, store ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(store, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// allow calls l.Allow n times for key and returns how many calls were
// admitted and how many failed.
func allow(t *testing.T, l *ratelimit.Limiter, key string, n int) (admitted, failed int) {
	t.Helper()
	for range n {
		d, err := l.Allow(t.Context(), key)
		switch {
		case err != nil:
			failed++
		case d.Allowed:
			admitted++
		}
	}
	return admitted, failed
}

// 2^-9 s and 2^-7 s: latencies whose sums a float64 holds exactly.
const (
	short = 1953125 * time.Nanosecond
	long  = 7812500 * time.Nanosecond
)

// TestScript runs real limiters over a memory store, a store that fails
// and a store that is slow, and checks every series they make.
func TestScript(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs, reg := newObserver(t, promlimit.WithBuckets([]float64{0.001, 0.005, 0.01}))
		mem, err := memorystore.New(memorystore.WithClock(core.WallClock{}))
		if err != nil {
			t.Fatal(err)
		}
		with := func(name string, opts ...ratelimit.Option) []ratelimit.Option {
			return append(opts, ratelimit.WithName(name), ratelimit.WithObserver(obs), ratelimit.WithPrefix(name+":"))
		}

		// Two rates: 3/s decides the first four calls (three allowed, one
		// denied), then, a second later, 5/min decides (two allowed, one
		// denied). The key is observed and must not show.
		two := newLimiter(t, mem, with("two", ratelimit.PerSecond(3), ratelimit.PerMinute(5), ratelimit.WithObservedKeys())...)
		if a, f := allow(t, two, "user:1", 4); a != 3 || f != 0 {
			t.Fatalf("two: %d admitted, %d failed of 4; want 3, 0", a, f)
		}
		time.Sleep(2 * time.Second)
		if a, f := allow(t, two, "user:1", 3); a != 2 || f != 0 {
			t.Fatalf("two: %d admitted, %d failed of 3; want 2, 0", a, f)
		}

		// Dry run: 100 calls against 10/min are all admitted; 90 are
		// counted as denied.
		dry := newLimiter(t, mem, with("dry", ratelimit.PerMinute(10), ratelimit.WithDryRun())...)
		if a, f := allow(t, dry, "u", 100); a != 100 || f != 0 {
			t.Fatalf("dry: %d admitted, %d failed of 100; want 100, 0", a, f)
		}

		// Shadow: main admits all 5; its shadow next would admit 2.
		next := newLimiter(t, mem, with("next", ratelimit.PerMinute(2))...)
		main := newLimiter(t, mem, with("main", ratelimit.PerMinute(100), ratelimit.WithShadow(next))...)
		if a, f := allow(t, main, "u", 5); a != 5 || f != 0 {
			t.Fatalf("main: %d admitted, %d failed of 5; want 5, 0", a, f)
		}

		// Failures: returned by down, passed by open; both timed.
		down := newLimiter(t, failing{short}, with("down", ratelimit.PerSecond(10))...)
		if _, err := down.Allow(t.Context(), "u"); !errors.Is(err, errDown) {
			t.Fatalf("down: error %v, want %v", err, errDown)
		}
		if a, f := allow(t, down, "u", 1); a != 0 || f != 1 {
			t.Fatalf("down: %d admitted, %d failed of 1; want 0, 1", a, f)
		}
		open := newLimiter(t, failing{long}, with("open", ratelimit.PerSecond(10), ratelimit.WithFailOpen())...)
		if a, f := allow(t, open, "u", 3); a != 3 || f != 0 {
			t.Fatalf("open: %d admitted, %d failed of 3; want 3, 0", a, f)
		}

		// A shadow that fails changes nothing for the caller.
		ghost := newLimiter(t, failing{short}, with("ghost", ratelimit.PerSecond(10))...)
		front := newLimiter(t, mem, with("front", ratelimit.PerMinute(100), ratelimit.WithShadow(ghost))...)
		if a, f := allow(t, front, "u", 1); a != 1 || f != 0 {
			t.Fatalf("front: %d admitted, %d failed of 1; want 1, 0", a, f)
		}

		// A store that is not Local is timed when it decides.
		slow := newLimiter(t, slow{mem, short}, with("slow", ratelimit.PerMinute(1))...)
		if a, f := allow(t, slow, "u", 2); a != 1 || f != 0 {
			t.Fatalf("slow: %d admitted, %d failed of 2; want 1, 0", a, f)
		}

		want := `
# HELP ratelimit_decisions_total Decisions made by the store of a rate limiter, by limiter, policy (enforce, dry_run, shadow), outcome (allowed, denied) and deciding rate.
# TYPE ratelimit_decisions_total counter
ratelimit_decisions_total{limiter="dry",outcome="allowed",policy="dry_run",rate="10/min"} 10
ratelimit_decisions_total{limiter="dry",outcome="denied",policy="dry_run",rate="10/min"} 90
ratelimit_decisions_total{limiter="front",outcome="allowed",policy="enforce",rate="100/min"} 1
ratelimit_decisions_total{limiter="main",outcome="allowed",policy="enforce",rate="100/min"} 5
ratelimit_decisions_total{limiter="next",outcome="allowed",policy="shadow",rate="2/min"} 2
ratelimit_decisions_total{limiter="next",outcome="denied",policy="shadow",rate="2/min"} 3
ratelimit_decisions_total{limiter="slow",outcome="allowed",policy="enforce",rate="1/min"} 1
ratelimit_decisions_total{limiter="slow",outcome="denied",policy="enforce",rate="1/min"} 1
ratelimit_decisions_total{limiter="two",outcome="allowed",policy="enforce",rate="3/s"} 3
ratelimit_decisions_total{limiter="two",outcome="allowed",policy="enforce",rate="5/min"} 2
ratelimit_decisions_total{limiter="two",outcome="denied",policy="enforce",rate="3/s"} 1
ratelimit_decisions_total{limiter="two",outcome="denied",policy="enforce",rate="5/min"} 1
# HELP ratelimit_fail_open_passes_total Callers a rate limiter admitted although its store or rates lookup failed, by limiter.
# TYPE ratelimit_fail_open_passes_total counter
ratelimit_fail_open_passes_total{limiter="open"} 3
# HELP ratelimit_store_duration_seconds Time a rate limiter's store took to answer, failures included, by limiter; in-memory stores are not timed.
# TYPE ratelimit_store_duration_seconds histogram
ratelimit_store_duration_seconds_bucket{limiter="down",le="0.001"} 0
ratelimit_store_duration_seconds_bucket{limiter="down",le="0.005"} 2
ratelimit_store_duration_seconds_bucket{limiter="down",le="0.01"} 2
ratelimit_store_duration_seconds_bucket{limiter="down",le="+Inf"} 2
ratelimit_store_duration_seconds_sum{limiter="down"} 0.00390625
ratelimit_store_duration_seconds_count{limiter="down"} 2
ratelimit_store_duration_seconds_bucket{limiter="ghost",le="0.001"} 0
ratelimit_store_duration_seconds_bucket{limiter="ghost",le="0.005"} 1
ratelimit_store_duration_seconds_bucket{limiter="ghost",le="0.01"} 1
ratelimit_store_duration_seconds_bucket{limiter="ghost",le="+Inf"} 1
ratelimit_store_duration_seconds_sum{limiter="ghost"} 0.001953125
ratelimit_store_duration_seconds_count{limiter="ghost"} 1
ratelimit_store_duration_seconds_bucket{limiter="open",le="0.001"} 0
ratelimit_store_duration_seconds_bucket{limiter="open",le="0.005"} 0
ratelimit_store_duration_seconds_bucket{limiter="open",le="0.01"} 3
ratelimit_store_duration_seconds_bucket{limiter="open",le="+Inf"} 3
ratelimit_store_duration_seconds_sum{limiter="open"} 0.0234375
ratelimit_store_duration_seconds_count{limiter="open"} 3
ratelimit_store_duration_seconds_bucket{limiter="slow",le="0.001"} 0
ratelimit_store_duration_seconds_bucket{limiter="slow",le="0.005"} 2
ratelimit_store_duration_seconds_bucket{limiter="slow",le="0.01"} 2
ratelimit_store_duration_seconds_bucket{limiter="slow",le="+Inf"} 2
ratelimit_store_duration_seconds_sum{limiter="slow"} 0.00390625
ratelimit_store_duration_seconds_count{limiter="slow"} 2
# HELP ratelimit_store_errors_total Rate limiter calls whose store or rates lookup failed, by limiter and policy (enforce: error returned, fail_open: caller admitted, shadow: no effect).
# TYPE ratelimit_store_errors_total counter
ratelimit_store_errors_total{limiter="down",policy="enforce"} 2
ratelimit_store_errors_total{limiter="ghost",policy="shadow"} 1
ratelimit_store_errors_total{limiter="open",policy="fail_open"} 3
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
			t.Error(err)
		}
		// The same, one series at a time.
		for _, c := range []struct {
			c    prometheus.Collector
			want float64
		}{
			{obs.Decisions("dry", "dry_run", "denied", "10/min"), 90},
			{obs.Decisions("two", "enforce", "allowed", "5/min"), 2},
			{obs.Decisions("next", "shadow", "denied", "2/min"), 3},
			{obs.StoreErrors("open", "fail_open"), 3},
			{obs.FailOpenPasses("open"), 3},
		} {
			if got := testutil.ToFloat64(c.c); got != c.want {
				t.Errorf("%v: %v, want %v", c.c.(prometheus.Metric).Desc(), got, c.want)
			}
		}
	})
}
