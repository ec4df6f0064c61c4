package otellimit_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
	otellimit "github.com/gorate/ratelimit/telemetry/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// setup returns an Observer over a real SDK MeterProvider and the reader
// that collects from it. The provider has no cardinality limit of its own
// (the SDK's default is 2000 points per instrument), so that the tests see
// the Observer's bounds.
func setup(t *testing.T, opts ...otellimit.Option) (*otellimit.Observer, *sdkmetric.ManualReader) {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r), sdkmetric.WithCardinalityLimit(0))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	o, err := otellimit.New(mp, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return o, r
}

// collect returns the metrics r has, by name.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(t.Context(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	ms := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != "github.com/gorate/ratelimit/telemetry/otel" {
			t.Errorf("scope %q, want the module's path", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			ms[m.Name] = m
		}
	}
	return ms
}

// attrs renders s as "limiter=api,outcome=allowed,…" with the
// "ratelimit." namespace every key must have removed.
func attrs(t *testing.T, s attribute.Set) string {
	t.Helper()
	var parts []string
	for _, kv := range s.ToSlice() {
		k, ok := strings.CutPrefix(string(kv.Key), "ratelimit.")
		if !ok {
			t.Errorf("attribute %s is not in the ratelimit namespace", kv.Key)
		}
		parts = append(parts, k+"="+kv.Value.String())
	}
	return strings.Join(parts, ",")
}

// counts returns the points of the monotonic cumulative int64 counter name,
// by attributes ([attrs]); none when it has no data.
func counts(t *testing.T, ms map[string]metricdata.Metrics, name string) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	m, ok := ms[name]
	if !ok {
		return got
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok || !sum.IsMonotonic || sum.Temporality != metricdata.CumulativeTemporality {
		t.Fatalf("%s is %T (%+v), want a monotonic cumulative Sum[int64]", name, m.Data, m.Data)
	}
	for _, p := range sum.DataPoints {
		k := attrs(t, p.Attributes)
		if _, dup := got[k]; dup {
			t.Errorf("%s: two points with attributes %s", name, k)
		}
		got[k] = p.Value
	}
	return got
}

// histogram returns the points of the float64 histogram name, by
// attributes.
func histogram(t *testing.T, ms map[string]metricdata.Metrics, name string) map[string]metricdata.HistogramDataPoint[float64] {
	t.Helper()
	got := map[string]metricdata.HistogramDataPoint[float64]{}
	m, ok := ms[name]
	if !ok {
		return got
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is %T, want a Histogram[float64]", name, m.Data)
	}
	for _, p := range h.DataPoints {
		got[attrs(t, p.Attributes)] = p
	}
	return got
}

// wantCounts fails unless got and want hold the same points.
func wantCounts(t *testing.T, name string, got, want map[string]int64) {
	t.Helper()
	for _, k := range sortedKeys(want) {
		if got[k] != want[k] {
			t.Errorf("%s{%s} = %d, want %d", name, k, got[k], want[k])
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s{%s} = %d, want no such point", name, k, got[k])
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func newMemory(t testing.TB) *memorystore.Store {
	t.Helper()
	s, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newLimiter(t *testing.T, s ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(s, opts...)
	if err != nil {
		t.Fatalf("ratelimit.New: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// allow calls l.AllowN(ctx, key, 1) and fails unless it returns allowed
// and no error.
func allow(t *testing.T, ctx context.Context, l *ratelimit.Limiter, key string, allowed bool) ratelimit.Decision {
	t.Helper()
	d, err := l.AllowN(ctx, key, 1)
	if err != nil || d.Allowed != allowed {
		t.Fatalf("AllowN(%q) = %v, %v; want allowed %v and no error", key, d, err, allowed)
	}
	return d
}

// failing is a store whose every take fails at once.
type failing struct{}

var errDown = errors.New("store down")

func (failing) Take(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errDown
}

// slow is a store that is not Local and takes d of the clock per take
// (under testing/synctest, exactly d) before asking s.
type slow struct {
	s ratelimit.Store
	d time.Duration
}

func (s slow) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	time.Sleep(s.d)
	return s.s.Take(ctx, key, rates, n)
}

// allowAll is a store that admits every take by its first rate, keeping
// nothing.
type allowAll struct{}

func (allowAll) Take(_ context.Context, _ string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{Allowed: true, Rate: rates[0], Remaining: rates[0].Limit - n}, nil
}
