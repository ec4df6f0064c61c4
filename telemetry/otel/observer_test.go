package otellimit_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	otellimit "github.com/gorate/ratelimit/telemetry/otel"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

func TestInstruments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o, r := setup(t)
		ok := newLimiter(t, slow{newMemory(t), time.Millisecond}, ratelimit.PerSecond(1), ratelimit.WithName("ok"), ratelimit.WithObserver(o))
		down := newLimiter(t, failing{}, ratelimit.PerSecond(1), ratelimit.WithName("down"), ratelimit.WithFailOpen(), ratelimit.WithObserver(o))
		allow(t, t.Context(), ok, "k", true)
		allow(t, t.Context(), down, "k", true)
		ms := collect(t, r)
		for _, want := range []struct{ name, unit string }{
			{"ratelimit.decisions", "{decision}"},
			{"ratelimit.store.errors", "{error}"},
			{"ratelimit.fail_open.passes", "{request}"},
			{"ratelimit.store.duration", "s"},
		} {
			m, found := ms[want.name]
			if !found {
				t.Errorf("no metric %s", want.name)
				continue
			}
			if m.Unit != want.unit || m.Description == "" {
				t.Errorf("%s: unit %q, description %q; want unit %q and a description", want.name, m.Unit, m.Description, want.unit)
			}
		}
		if len(ms) != 4 {
			t.Errorf("%d metrics, want 4", len(ms))
		}
	})
}

// TestDecisionsTwoRates runs a 3/s and 5/min limiter so that the deciding
// rate moves from the first to the second.
func TestDecisionsTwoRates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o, r := setup(t)
		l := newLimiter(t, newMemory(t), ratelimit.PerSecond(3), ratelimit.PerMinute(5), ratelimit.WithName("api"), ratelimit.WithObserver(o))
		ctx := t.Context()
		perSec, perMin := ratelimit.PerSecond(3), ratelimit.PerMinute(5)
		for i, want := range []struct {
			allowed bool
			rate    ratelimit.Rate
		}{{true, perSec}, {true, perSec}, {true, perSec}, {false, perSec}} {
			if d := allow(t, ctx, l, "k", want.allowed); d.Rate != want.rate {
				t.Fatalf("take %d decided by %v, want %v", i, d.Rate, want.rate)
			}
		}
		time.Sleep(time.Second + time.Millisecond) // the 3/s window has passed, not the 5/min one
		for i, want := range []struct {
			allowed bool
			rate    ratelimit.Rate
		}{{true, perMin}, {true, perMin}, {false, perMin}} {
			if d := allow(t, ctx, l, "k", want.allowed); d.Rate != want.rate {
				t.Fatalf("take %d after 1s decided by %v, want %v", i, d.Rate, want.rate)
			}
		}
		// A decision counts once whatever its weight; keys are not attributes.
		if d, err := l.AllowN(ctx, "other key", 2); err != nil || !d.Allowed || d.Rate != perSec {
			t.Fatalf("AllowN(other key, 2) = %v, %v; want allowed by 3/s", d, err)
		}
		ms := collect(t, r)
		wantCounts(t, "ratelimit.decisions", counts(t, ms, "ratelimit.decisions"), map[string]int64{
			"limiter=api,outcome=allowed,policy=enforce,rate=3/s":   4,
			"limiter=api,outcome=denied,policy=enforce,rate=3/s":    1,
			"limiter=api,outcome=allowed,policy=enforce,rate=5/min": 2,
			"limiter=api,outcome=denied,policy=enforce,rate=5/min":  1,
		})
		for _, name := range []string{"ratelimit.store.errors", "ratelimit.fail_open.passes"} {
			wantCounts(t, name, counts(t, ms, name), nil)
		}
		if h := histogram(t, ms, "ratelimit.store.duration"); len(h) != 0 {
			t.Errorf("store.duration has points %v: the memory store is Local and not timed", sortedKeys(h))
		}
	})
}

func TestDryRun(t *testing.T) {
	o, r := setup(t)
	l := newLimiter(t, newMemory(t), ratelimit.PerHour(10), ratelimit.WithName("trial"), ratelimit.WithDryRun(), ratelimit.WithObserver(o))
	for range 100 {
		allow(t, t.Context(), l, "k", true) // a dry run admits every call
	}
	wantCounts(t, "ratelimit.decisions", counts(t, collect(t, r), "ratelimit.decisions"), map[string]int64{
		"limiter=trial,outcome=allowed,policy=dry_run,rate=10/h": 10,
		"limiter=trial,outcome=denied,policy=dry_run,rate=10/h":  90,
	})
}

func TestShadow(t *testing.T) {
	o, r := setup(t)
	store := newMemory(t)
	next := newLimiter(t, store, ratelimit.PerHour(2), ratelimit.WithName("next"), ratelimit.WithObserver(o), ratelimit.WithPrefix("next:"))
	l := newLimiter(t, store, ratelimit.PerHour(4), ratelimit.WithName("api"), ratelimit.WithObserver(o), ratelimit.WithShadow(next))
	for range 5 {
		l.Allow(t.Context(), "k")
	}
	wantCounts(t, "ratelimit.decisions", counts(t, collect(t, r), "ratelimit.decisions"), map[string]int64{
		"limiter=api,outcome=allowed,policy=enforce,rate=4/h": 4,
		"limiter=api,outcome=denied,policy=enforce,rate=4/h":  1,
		"limiter=next,outcome=allowed,policy=shadow,rate=2/h": 2,
		"limiter=next,outcome=denied,policy=shadow,rate=2/h":  3,
	})
}

func TestStoreErrors(t *testing.T) {
	errPlan := errors.New("no plan")
	for _, tc := range []struct {
		name       string
		opts       []ratelimit.Option
		wantErrors map[string]int64
		wantPasses map[string]int64
	}{
		{"enforce", nil,
			map[string]int64{"limiter=db,policy=enforce": 3}, nil},
		{"fail open", []ratelimit.Option{ratelimit.WithFailOpen()},
			map[string]int64{"limiter=db,policy=fail_open": 3}, map[string]int64{"limiter=db": 3}},
		{"dry run", []ratelimit.Option{ratelimit.WithDryRun()},
			map[string]int64{"limiter=db,policy=fail_open": 3}, map[string]int64{"limiter=db": 3}},
		{"rates function", []ratelimit.Option{ratelimit.WithRatesFor(func(context.Context, string) (ratelimit.Rates, error) { return nil, errPlan })},
			map[string]int64{"limiter=db,policy=enforce": 3}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				o, r := setup(t)
				l := newLimiter(t, failing{}, append(tc.opts, ratelimit.PerSecond(1), ratelimit.WithName("db"), ratelimit.WithObserver(o))...)
				for range 3 {
					l.Allow(t.Context(), "k")
				}
				ms := collect(t, r)
				wantCounts(t, "ratelimit.store.errors", counts(t, ms, "ratelimit.store.errors"), tc.wantErrors)
				wantCounts(t, "ratelimit.fail_open.passes", counts(t, ms, "ratelimit.fail_open.passes"), tc.wantPasses)
				wantCounts(t, "ratelimit.decisions", counts(t, ms, "ratelimit.decisions"), nil)
				if h := histogram(t, ms, "ratelimit.store.duration"); len(h) != 0 {
					t.Errorf("store.duration has points %v for takes that took no time", sortedKeys(h))
				}
			})
		})
	}
}

func TestDuration(t *testing.T) {
	defaults := []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}
	for _, tc := range []struct {
		name       string
		opts       []otellimit.Option
		wantBounds []float64
	}{
		{"default buckets", nil, defaults},
		{"WithBuckets", []otellimit.Option{otellimit.WithBuckets(0.001, 0.003, 0.01)}, []float64{0.001, 0.003, 0.01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				o, r := setup(t, tc.opts...)
				timed := newLimiter(t, slow{newMemory(t), 2 * time.Millisecond}, ratelimit.PerHour(3), ratelimit.WithName("redis"), ratelimit.WithObserver(o))
				local := newLimiter(t, newMemory(t), ratelimit.PerHour(3), ratelimit.WithName("memory"), ratelimit.WithObserver(o))
				for range 5 {
					timed.Allow(t.Context(), "k") // 3 allowed, 2 denied: all timed
					local.Allow(t.Context(), "k")
				}
				h := histogram(t, collect(t, r), "ratelimit.store.duration")
				if ks := sortedKeys(h); !slices.Equal(ks, []string{"limiter=redis"}) {
					t.Fatalf("store.duration points %v, want limiter=redis only (the memory store is not timed)", ks)
				}
				p := h["limiter=redis"]
				if p.Count != 5 || math.Abs(p.Sum-0.010) > 1e-12 {
					t.Errorf("store.duration{limiter=redis}: count %d, sum %v; want 5 takes of 2ms, 0.010s", p.Count, p.Sum)
				}
				if !slices.Equal(p.Bounds, tc.wantBounds) {
					t.Errorf("bounds %v, want %v", p.Bounds, tc.wantBounds)
				}
				i, _ := slices.BinarySearch(p.Bounds, 0.002)
				if p.BucketCounts[i] != 5 {
					t.Errorf("bucket counts %v, want 5 in the bucket of 2ms (index %d)", p.BucketCounts, i)
				}
			})
		})
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  otellimit.Option
		want string
	}{
		{"nil option", nil, "option is nil"},
		{"no buckets", otellimit.WithBuckets(), "no bucket boundaries"},
		{"unsorted", otellimit.WithBuckets(0.1, 0.01), "[0.1 0.01]"},
		{"repeated", otellimit.WithBuckets(0.1, 0.1), "[0.1 0.1]"},
		{"NaN", otellimit.WithBuckets(0.1, math.NaN()), "NaN"},
		{"infinite", otellimit.WithBuckets(math.Inf(1)), "+Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := otellimit.New(sdkmetric.NewMeterProvider(), tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

// WithBuckets keeps its own copy of the boundaries.
func TestWithBucketsCopies(t *testing.T) {
	b := []float64{0.1, 0.2}
	opt := otellimit.WithBuckets(b...)
	b[0] = 1
	if _, err := otellimit.New(sdkmetric.NewMeterProvider(), opt); err != nil {
		t.Errorf("New: %v, want the boundaries as given (0.1, 0.2)", err)
	}
}

// brokenMeterProvider is a MeterProvider whose instrument named bad fails.
type brokenMeterProvider struct {
	noop.MeterProvider
	bad string
}

func (p brokenMeterProvider) Meter(string, ...metric.MeterOption) metric.Meter {
	return brokenMeter{bad: p.bad}
}

type brokenMeter struct {
	noop.Meter
	bad string
}

var errBroken = errors.New("broken meter")

func (m brokenMeter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	if name == m.bad {
		return nil, errBroken
	}
	return m.Meter.Int64Counter(name, opts...)
}

func (m brokenMeter) Int64UpDownCounter(name string, opts ...metric.Int64UpDownCounterOption) (metric.Int64UpDownCounter, error) {
	if name == m.bad {
		return nil, errBroken
	}
	return m.Meter.Int64UpDownCounter(name, opts...)
}

func (m brokenMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	if name == m.bad {
		return nil, errBroken
	}
	return m.Meter.Float64Histogram(name, opts...)
}

func TestNewMeterError(t *testing.T) {
	for _, name := range []string{"ratelimit.decisions", "ratelimit.store.errors", "ratelimit.fail_open.passes", "ratelimit.store.duration",
		"ratelimit.fallback.switches", "ratelimit.fallback.active"} {
		o, err := otellimit.New(brokenMeterProvider{bad: name})
		if o != nil || !errors.Is(err, errBroken) || !strings.Contains(err.Error(), name) {
			t.Errorf("New with %s failing: %v, %v; want nil and an error wrapping the meter's, naming it", name, o, err)
		}
	}
}

// TestGlobalMeterProvider sets the process's global MeterProvider: no other
// test relies on it.
func TestGlobalMeterProvider(t *testing.T) {
	r := sdkmetric.NewManualReader()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(r)))
	o, err := otellimit.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Observe(t.Context(), ratelimit.Event{Limiter: "g", Decision: ratelimit.Decision{Allowed: true, Rate: ratelimit.PerSecond(1)}})
	wantCounts(t, "ratelimit.decisions", counts(t, collect(t, r), "ratelimit.decisions"), map[string]int64{
		"limiter=g,outcome=allowed,policy=enforce,rate=1/s": 1,
	})
}

// An event of a policy this package does not know is recorded under the
// policy's String.
func TestUnknownPolicy(t *testing.T) {
	o, r := setup(t)
	p := ratelimit.Policy(9)
	o.Observe(t.Context(), ratelimit.Event{Limiter: "x", Policy: p, Decision: ratelimit.Decision{Rate: ratelimit.PerSecond(1)}})
	o.Observe(t.Context(), ratelimit.Event{Limiter: "x", Policy: p, Err: errDown})
	ms := collect(t, r)
	wantCounts(t, "ratelimit.decisions", counts(t, ms, "ratelimit.decisions"), map[string]int64{"limiter=x,outcome=denied,policy=policy(9),rate=1/s": 1})
	wantCounts(t, "ratelimit.store.errors", counts(t, ms, "ratelimit.store.errors"), map[string]int64{"limiter=x,policy=policy(9)": 1})
}

func TestShadowErrors(t *testing.T) {
	o, r := setup(t)
	next := newLimiter(t, failing{}, ratelimit.PerHour(2), ratelimit.WithName("next"), ratelimit.WithObserver(o))
	l := newLimiter(t, newMemory(t), ratelimit.PerHour(4), ratelimit.WithName("api"), ratelimit.WithShadow(next))
	allow(t, t.Context(), l, "k", true)
	ms := collect(t, r)
	wantCounts(t, "ratelimit.store.errors", counts(t, ms, "ratelimit.store.errors"), map[string]int64{"limiter=next,policy=shadow": 1})
	wantCounts(t, "ratelimit.fail_open.passes", counts(t, ms, "ratelimit.fail_open.passes"), nil)
}

// A failed take that took time is timed too.
func TestDurationOfFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o, r := setup(t)
		l := newLimiter(t, slow{failing{}, 3 * time.Millisecond}, ratelimit.PerHour(1), ratelimit.WithName("down"), ratelimit.WithObserver(o))
		l.Allow(t.Context(), "k")
		h := histogram(t, collect(t, r), "ratelimit.store.duration")
		if p := h["limiter=down"]; len(h) != 1 || p.Count != 1 || math.Abs(p.Sum-0.003) > 1e-12 {
			t.Errorf("store.duration points %v, {limiter=down} count %d sum %v; want one of 3ms", sortedKeys(h), p.Count, p.Sum)
		}
	})
}

// The boundaries are advice: a view of the MeterProvider overrides them.
func TestBucketsView(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := sdkmetric.NewManualReader()
		view := sdkmetric.NewView(sdkmetric.Instrument{Name: "ratelimit.store.duration"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: []float64{0.5}}})
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r), sdkmetric.WithView(view))
		o, err := otellimit.New(mp, otellimit.WithBuckets(0.001, 0.01))
		if err != nil {
			t.Fatal(err)
		}
		l := newLimiter(t, slow{newMemory(t), time.Millisecond}, ratelimit.PerHour(1), ratelimit.WithName("db"), ratelimit.WithObserver(o))
		l.Allow(t.Context(), "k")
		if p := histogram(t, collect(t, r), "ratelimit.store.duration")["limiter=db"]; !slices.Equal(p.Bounds, []float64{0.5}) {
			t.Errorf("bounds %v, want the view's [0.5]", p.Bounds)
		}
	})
}
