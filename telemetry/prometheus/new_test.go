package promlimit_test

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gorate/ratelimit"
	promlimit "github.com/gorate/ratelimit/telemetry/prometheus"
)

func TestNewBadOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  promlimit.Option
	}{
		{"nil option", nil},
		{"nil buckets", promlimit.WithBuckets(nil)},
		{"empty buckets", promlimit.WithBuckets([]float64{})},
		{"decreasing", promlimit.WithBuckets([]float64{0.1, 0.01})},
		{"repeated", promlimit.WithBuckets([]float64{0.1, 0.1})},
		{"NaN", promlimit.WithBuckets([]float64{0.1, math.NaN()})},
	} {
		t.Run(c.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			if o, err := promlimit.New(reg, c.opt); err == nil || o != nil {
				t.Fatalf("New = %v, %v; want an error", o, err)
			}
			if mfs, err := reg.Gather(); err != nil || len(mfs) != 0 {
				t.Fatalf("a failed New registered %d families (%v)", len(mfs), err)
			}
			if _, err := promlimit.New(reg); err != nil {
				t.Fatalf("New after a failed New: %v", err)
			}
		})
	}
}

// buckets returns the upper bounds of the store duration histogram of
// limiter "x" after one timed event.
func buckets(t *testing.T, opts ...promlimit.Option) []float64 {
	t.Helper()
	o, reg := newObserver(t, opts...)
	o.Observe(t.Context(), ratelimit.Event{Limiter: "x", Latency: time.Millisecond, Decision: ratelimit.Decision{Allowed: true, Rate: ratelimit.PerSecond(1)}})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "ratelimit_store_duration_seconds" {
			var bs []float64
			for _, b := range mf.GetMetric()[0].GetHistogram().GetBucket() {
				bs = append(bs, b.GetUpperBound())
			}
			return bs
		}
	}
	t.Fatal("no ratelimit_store_duration_seconds")
	return nil
}

func TestBuckets(t *testing.T) {
	want := []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}
	if got := buckets(t); !slices.Equal(got, want) {
		t.Errorf("default buckets %v, want %v", got, want)
	}
	mine := []float64{0.5, 2}
	opt := promlimit.WithBuckets(mine)
	mine[0] = 5 // WithBuckets copied the slice
	if got := buckets(t, opt); !slices.Equal(got, []float64{0.5, 2}) {
		t.Errorf("WithBuckets(0.5, 2): buckets %v", got)
	}
}

func TestNewRegistrationClash(t *testing.T) {
	first, reg := newObserver(t)
	second, err := promlimit.New(reg)
	var are prometheus.AlreadyRegisteredError
	if second != nil || !errors.As(err, &are) {
		t.Fatalf("a second New on one registry = %v, %v; want an AlreadyRegisteredError", second, err)
	}
	// The failed New unregistered nothing of the first.
	first.Observe(t.Context(), ratelimit.Event{Limiter: "a", Policy: ratelimit.FailOpen, Err: errDown})
	if n := testutil.CollectAndCount(reg); n != 2 {
		t.Errorf("%d series after one fail-open pass, want 2", n)
	}

	// A clash on any metric leaves the registry as it was.
	reg = prometheus.NewRegistry()
	clash := prometheus.NewCounter(prometheus.CounterOpts{Name: "ratelimit_store_duration_seconds", Help: "Not ours."})
	reg.MustRegister(clash)
	if o, err := promlimit.New(reg); o != nil || err == nil || errors.Unwrap(err) == nil {
		t.Fatalf("New on a registry holding another ratelimit_store_duration_seconds = %v, %v; want the registry's error, wrapped", o, err)
	}
	// Collectors equal to those New registered before the clash register.
	twin, _ := newObserver(t)
	for _, c := range twin.Collectors()[:3] {
		if err := reg.Register(c); err != nil {
			t.Errorf("a failed New left its metrics registered: %v", err)
		}
	}
}

func TestNewNilRegisterer(t *testing.T) {
	o, err := promlimit.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, c := range o.Collectors() {
			prometheus.Unregister(c)
		}
	})
	var are prometheus.AlreadyRegisteredError
	if _, err := promlimit.New(prometheus.DefaultRegisterer); !errors.As(err, &are) {
		t.Fatalf("New(DefaultRegisterer) after New(nil): %v; want an AlreadyRegisteredError", err)
	}
}
