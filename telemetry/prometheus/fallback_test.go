package promlimit_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/fallback"
)

// TestFallbackSwitches: the switches of a fallback store are counted by
// direction and set the active gauge, and count in no other metric.
func TestFallbackSwitches(t *testing.T) {
	obs, reg := newObserver(t)
	for _, err := range []error{errDown, nil, errDown} {
		obs.Observe(t.Context(), ratelimit.Event{Limiter: "redis", Policy: ratelimit.Fallback, Err: err})
	}
	want := `
# HELP ratelimit_fallback_active 1 while a fallback store decides with its local store because its primary failed, else 0, by name.
# TYPE ratelimit_fallback_active gauge
ratelimit_fallback_active{limiter="redis"} 1
# HELP ratelimit_fallback_switches_total Switches of a fallback store, by name and direction (to local: its primary store failed; to primary: it came back).
# TYPE ratelimit_fallback_switches_total counter
ratelimit_fallback_switches_total{limiter="redis",to="local"} 2
ratelimit_fallback_switches_total{limiter="redis",to="primary"} 1
`
	// Compared whole: no decision, store error or duration series.
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	obs.Observe(t.Context(), ratelimit.Event{Limiter: "redis", Policy: ratelimit.Fallback})
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP ratelimit_fallback_active 1 while a fallback store decides with its local store because its primary failed, else 0, by name.
# TYPE ratelimit_fallback_active gauge
ratelimit_fallback_active{limiter="redis"} 0
`), "ratelimit_fallback_active"); err != nil {
		t.Error(err)
	}
}

// TestFallbackStore: one Observer given to a fallback store and to the
// limiter above it counts the switch once, and the local decisions as the
// limiter's decisions, with no store error.
func TestFallbackStore(t *testing.T) {
	obs, reg := newObserver(t)
	s, err := fallback.New(failing{}, 2, fallback.WithName("redis"), fallback.WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	l := newLimiter(t, s, ratelimit.PerSecond(4), ratelimit.WithName("api"), ratelimit.WithObserver(obs))
	if admitted, failed := allow(t, l, "k", 3); admitted != 2 || failed != 0 {
		t.Fatalf("admitted %d, failed %d; want the local share's 2 and none", admitted, failed)
	}
	if got := testutil.ToFloat64(obs.Decisions("api", "enforce", "allowed", "2/s")); got != 2 {
		t.Errorf("allowed decisions by 2/s: %v, want 2", got)
	}
	if got := testutil.ToFloat64(obs.Decisions("api", "enforce", "denied", "2/s")); got != 1 {
		t.Errorf("denied decisions by 2/s: %v, want 1", got)
	}
	if got := sum(t, reg, "ratelimit_store_errors_total"); got != 0 {
		t.Errorf("%v store errors, want 0", got)
	}
	if got := sum(t, reg, "ratelimit_fallback_switches_total"); got != 1 {
		t.Errorf("%v switches, want 1", got)
	}
}
