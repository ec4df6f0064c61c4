package otellimit_test

import (
	"context"
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/fallback"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// active returns the points of the ratelimit.fallback.active up-down
// counter, by attributes.
func active(t *testing.T, ms map[string]metricdata.Metrics) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	m, ok := ms["ratelimit.fallback.active"]
	if !ok {
		return got
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok || sum.IsMonotonic || m.Unit != "{store}" {
		t.Fatalf("ratelimit.fallback.active is %T (%+v), unit %q; want a non-monotonic Sum[int64] of {store}", m.Data, m.Data, m.Unit)
	}
	for _, p := range sum.DataPoints {
		got[attrs(t, p.Attributes)] = p.Value
	}
	return got
}

// The switches of a fallback store are counted by direction and move the
// active count, are in no other instrument, and not on the span.
func TestFallbackSwitches(t *testing.T) {
	o, r := setup(t)
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	ctx, span := tp.Tracer("test").Start(context.Background(), "op")
	for _, err := range []error{errDown, nil, errDown} {
		o.Observe(ctx, ratelimit.Event{Limiter: "redis", Policy: ratelimit.Fallback, Err: err})
	}
	span.End()
	ms := collect(t, r)
	if m := ms["ratelimit.fallback.switches"]; m.Unit != "{switch}" || m.Description == "" {
		t.Errorf("ratelimit.fallback.switches: unit %q, description %q", m.Unit, m.Description)
	}
	wantCounts(t, "ratelimit.fallback.switches", counts(t, ms, "ratelimit.fallback.switches"), map[string]int64{
		"limiter=redis,to=local": 2, "limiter=redis,to=primary": 1,
	})
	wantCounts(t, "ratelimit.fallback.active", active(t, ms), map[string]int64{"limiter=redis": 1})
	if len(ms) != 2 {
		t.Errorf("%d metrics, want the 2 fallback ones", len(ms))
	}
	if a := sr.Ended()[0].Attributes(); len(a) != 0 {
		t.Errorf("span attributes %v, want none", a)
	}
	o.Observe(ctx, ratelimit.Event{Limiter: "redis", Policy: ratelimit.Fallback})
	wantCounts(t, "ratelimit.fallback.active", active(t, collect(t, r)), map[string]int64{"limiter=redis": 0})
}

// One Observer given to a fallback store and to the limiter above it
// records the switch once, and the local decisions as the limiter's, with
// no store error.
func TestFallbackStore(t *testing.T) {
	o, r := setup(t)
	s, err := fallback.New(failing{}, 2, fallback.WithName("redis"), fallback.WithObserver(o))
	if err != nil {
		t.Fatal(err)
	}
	l := newLimiter(t, s, ratelimit.PerSecond(4), ratelimit.WithName("api"), ratelimit.WithObserver(o))
	allow(t, t.Context(), l, "k", true)
	allow(t, t.Context(), l, "k", true)
	allow(t, t.Context(), l, "k", false)
	ms := collect(t, r)
	wantCounts(t, "ratelimit.decisions", counts(t, ms, "ratelimit.decisions"), map[string]int64{
		"limiter=api,outcome=allowed,policy=enforce,rate=2/s": 2,
		"limiter=api,outcome=denied,policy=enforce,rate=2/s":  1,
	})
	wantCounts(t, "ratelimit.store.errors", counts(t, ms, "ratelimit.store.errors"), map[string]int64{})
	wantCounts(t, "ratelimit.fallback.switches", counts(t, ms, "ratelimit.fallback.switches"), map[string]int64{"limiter=redis,to=local": 1})
}
