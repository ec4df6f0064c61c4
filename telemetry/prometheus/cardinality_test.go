package promlimit_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	promlimit "github.com/gorate/ratelimit/telemetry/prometheus"
)

// TestCardinality pushes a million keys, a thousand rates and two hundred
// limiter names through one Observer: the series stay within the documented
// bounds, and so do its caches.
func TestCardinality(t *testing.T) {
	obs, reg := newObserver(t)
	plans := make([]ratelimit.Rates, 1000)
	for i := range plans {
		plans[i] = ratelimit.Rates{ratelimit.PerSecond(int64(i + 1))}
	}
	planned := newLimiter(t, allowAll{}, ratelimit.PerSecond(1),
		ratelimit.WithName("plans"), ratelimit.WithObservedKeys(), ratelimit.WithObserver(obs),
		ratelimit.WithRatesFor(func(_ context.Context, key string) (ratelimit.Rates, error) {
			i, err := strconv.Atoi(key[1:])
			return plans[i%len(plans)], err
		}))
	ctx := t.Context()
	for i := range 1_000_000 {
		if _, err := planned.Allow(ctx, "k"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	// 200 names, each deciding by a rate of its own: the first 63 (after
	// "plans") get a label, the rest are other, whose rates are capped too.
	for i := range 200 {
		l := newLimiter(t, allowAll{}, ratelimit.PerSecond(int64(i+1)), ratelimit.WithName(fmt.Sprintf("l%03d", i)), ratelimit.WithObserver(obs))
		if _, err := l.Allow(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		// A namesake over a failing store: errors, passes and durations.
		l = newLimiter(t, failing{time.Microsecond}, ratelimit.PerSecond(1), ratelimit.WithName(fmt.Sprintf("l%03d", i)), ratelimit.WithObserver(obs), ratelimit.WithFailOpen())
		if _, err := l.Allow(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	perFamily := map[string]int{}
	limiters := map[string]bool{}
	rates := map[string]map[string]bool{}
	for _, mf := range mfs {
		perFamily[mf.GetName()] += len(mf.GetMetric())
		for _, m := range mf.GetMetric() {
			series++
			var limiter, rate string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "limiter":
					limiter = lp.GetValue()
				case "rate":
					rate = lp.GetValue()
				case "policy", "outcome":
				default:
					t.Errorf("%s has a label %s=%q", mf.GetName(), lp.GetName(), lp.GetValue())
				}
			}
			limiters[limiter] = true
			if mf.GetName() != "ratelimit_decisions_total" {
				continue
			}
			if rates[limiter] == nil {
				rates[limiter] = map[string]bool{}
			}
			rates[limiter][rate] = true
		}
	}
	for name, n := range perFamily {
		bound := map[string]int{
			"ratelimit_decisions_total":        65 * 33 * 3 * 2,
			"ratelimit_store_errors_total":     65 * 3,
			"ratelimit_fail_open_passes_total": 65,
			"ratelimit_store_duration_seconds": 65,
		}[name]
		if n > bound {
			t.Errorf("%s has %d series, above the documented %d", name, n, bound)
		}
	}
	// Decisions: plans, 32 rates and other; l000 to l062, one each; other,
	// 32 rates and other. Errors, passes and durations: one per name of
	// the 63, and other's.
	if want := (33 + 63 + 33) + 3*(63+1); series != want {
		t.Errorf("%d series, want %d", series, want)
	}
	if len(limiters) != promlimit.MaxLimiters+1 || !limiters["other"] || !limiters["l062"] || limiters["l063"] {
		t.Errorf("%d limiter labels, want %d: l000 to l062, plans and other", len(limiters), promlimit.MaxLimiters+1)
	}
	for _, l := range []string{"plans", "other"} {
		if n := len(rates[l]); n != promlimit.MaxRates+1 || !rates[l]["other"] {
			t.Errorf("limiter %q has %d rate labels, want %d, other included", l, n, promlimit.MaxRates+1)
		}
	}
	if l, r := obs.CacheSizes(); l != promlimit.MaxLimiters+1 || r != promlimit.MaxRates {
		t.Errorf("the caches hold %d limiters and up to %d rates each, want %d and %d", l, r, promlimit.MaxLimiters+1, promlimit.MaxRates)
	}
}
