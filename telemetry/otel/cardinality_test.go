package otellimit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// TestCardinality runs a million distinct keys under a thousand rates
// (WithRatesFor) through 200 limiters: the points collected stay within the
// documented bounds, 64 limiter names and 32 rates per name, the rest
// "other".
func TestCardinality(t *testing.T) {
	const (
		keys     = 1_000_000
		limiters = 200
		rates    = 1000
	)
	plans := make([]ratelimit.Rates, rates)
	for i := range plans {
		plans[i] = ratelimit.Rates{ratelimit.PerSecond(int64(i + 1))}
	}
	ratesFor := func(_ context.Context, key string) (ratelimit.Rates, error) {
		var i int
		fmt.Sscan(key[strings.IndexByte(key, '/')+1:], &i)
		return plans[i], nil
	}
	o, r := setup(t)
	ls := make([]*ratelimit.Limiter, limiters)
	for i := range ls {
		ls[i] = newLimiter(t, allowAll{}, ratelimit.WithRatesFor(ratesFor), ratelimit.WithName(fmt.Sprintf("limiter-%03d", i)), ratelimit.WithObserver(o))
	}
	ctx := t.Context()
	for i := range keys {
		// Limiter i%200 gets the keys i, i+200, …: plan (i/200)%1000 moves
		// through all thousand rates on every limiter.
		key := fmt.Sprintf("user-%d/%d", i, (i/limiters)%rates)
		if _, err := ls[i%limiters].Allow(ctx, key); err != nil {
			t.Fatal(err)
		}
	}

	ms := collect(t, r)
	decisions := counts(t, ms, "ratelimit.decisions")
	perLimiter := map[string]map[string]int64{} // limiter -> rate -> count
	var total int64
	for k, n := range decisions {
		var limiter, rate string
		for kv := range strings.SplitSeq(k, ",") {
			name, value, _ := strings.Cut(kv, "=")
			switch name {
			case "limiter":
				limiter = value
			case "rate":
				rate = value
			}
		}
		if perLimiter[limiter] == nil {
			perLimiter[limiter] = map[string]int64{}
		}
		perLimiter[limiter][rate] += n
		total += n
	}
	if total != keys {
		t.Errorf("decisions add up to %d, want %d", total, keys)
	}
	if len(perLimiter) != 65 {
		t.Errorf("%d limiter values, want 65: the first 64 names and other", len(perLimiter))
	}
	for i := range limiters {
		name := fmt.Sprintf("limiter-%03d", i)
		if _, ok := perLimiter[name]; ok != (i < 64) {
			t.Errorf("limiter %s has its own value: %v; want it for the first 64 names only", name, ok)
		}
	}
	// Each named limiter saw 5000 keys over its rates 1/s, 2/s, … in turn:
	// the first 32 keep their value, the 968 others count as "other".
	for name, byRate := range perLimiter {
		if len(byRate) != 33 {
			t.Errorf("limiter %s has %d rate values, want 33: the first 32 rates and other", name, len(byRate))
		}
		if name == "other" {
			continue
		}
		if byRate["1/s"] != 5 || byRate["32/s"] != 5 || byRate["33/s"] != 0 || byRate["other"] != 5000-32*5 {
			t.Errorf("limiter %s: 1/s %d, 32/s %d, 33/s %d, other %d; want 5, 5, 0, %d", name, byRate["1/s"], byRate["32/s"], byRate["33/s"], byRate["other"], 5000-32*5)
		}
	}
	if got := perLimiter["other"]; got["other"] != 136*5000-32*5*136 {
		// The 136 names past the 64th share one value, and its 32 rates.
		t.Errorf("limiter other, rate other: %d, want %d", got["other"], 136*5000-32*5*136)
	}
	if h := histogram(t, ms, "ratelimit.store.duration"); len(h) > 65 {
		t.Errorf("store.duration has %d points, want at most 65", len(h))
	}
}

// TestConcurrentObserve has goroutines race to add limiter names and rates:
// every decision is counted once, within the bounds.
func TestConcurrentObserve(t *testing.T) {
	o, r := setup(t)
	const goroutines, each = 8, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				o.Observe(t.Context(), ratelimit.Event{
					Limiter:  fmt.Sprint("l", (g+i)%100),
					Decision: ratelimit.Decision{Allowed: i%2 == 0, Rate: ratelimit.PerSecond(int64(i%50 + 1))},
					Latency:  time.Millisecond,
				})
			}
		})
	}
	wg.Wait()
	ms := collect(t, r)
	var total int64
	limiters := map[string]bool{}
	for k, n := range counts(t, ms, "ratelimit.decisions") {
		total += n
		limiters[strings.Split(k, ",")[0]] = true
	}
	if total != goroutines*each || len(limiters) != 65 {
		t.Errorf("%d decisions over %d limiter values, want %d over 65", total, len(limiters), goroutines*each)
	}
	var timed uint64
	for _, p := range histogram(t, ms, "ratelimit.store.duration") {
		timed += p.Count
	}
	if timed != goroutines*each {
		t.Errorf("store.duration counted %d, want %d", timed, goroutines*each)
	}
}
