package otellimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	otellimit "github.com/gorate/ratelimit/telemetry/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// benchObserver returns an Observer over a real SDK MeterProvider with a
// ManualReader.
func benchObserver(tb testing.TB) *otellimit.Observer {
	tb.Helper()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tb.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	o, err := otellimit.New(mp)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// unsampled returns a context whose span is real but not recording.
func unsampled(tb testing.TB) context.Context {
	tb.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	tb.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("bench").Start(context.Background(), "request")
	tb.Cleanup(func() { span.End() })
	if span.IsRecording() {
		tb.Fatal("span is recording")
	}
	return ctx
}

var benchEvents = []struct {
	name string
	e    ratelimit.Event
}{
	{"allowed", ratelimit.Event{Limiter: "api", Weight: 1, Decision: ratelimit.Decision{Allowed: true, Rate: ratelimit.PerSecond(10), Remaining: 9}}},
	{"timed", ratelimit.Event{Limiter: "api", Weight: 1, Decision: ratelimit.Decision{Allowed: true, Rate: ratelimit.PerSecond(10)}, Latency: time.Millisecond}},
	{"fail open", ratelimit.Event{Limiter: "api", Weight: 1, Policy: ratelimit.FailOpen, Err: errDown, Latency: time.Millisecond}},
}

func TestObserveNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	o := benchObserver(t)
	for _, ctx := range []struct {
		name string
		ctx  context.Context
	}{{"no span", t.Context()}, {"unsampled span", unsampled(t)}} {
		for _, ev := range benchEvents {
			o.Observe(ctx.ctx, ev.e) // the attribute set is seen
			if n := testing.AllocsPerRun(100, func() { o.Observe(ctx.ctx, ev.e) }); n != 0 {
				t.Errorf("%s, %s: %v allocations per Observe, want 0", ctx.name, ev.name, n)
			}
		}
	}
}

func BenchmarkObserve(b *testing.B) {
	for _, ev := range benchEvents {
		b.Run(ev.name, func(b *testing.B) {
			o := benchObserver(b)
			ctx := unsampled(b)
			b.ReportAllocs()
			for b.Loop() {
				o.Observe(ctx, ev.e)
			}
		})
	}
	b.Run("parallel", func(b *testing.B) {
		o := benchObserver(b)
		ctx := unsampled(b)
		e := benchEvents[0].e
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				o.Observe(ctx, e)
			}
		})
	})
	b.Run("limiter", func(b *testing.B) {
		// A memory-store limiter with the observer against one without.
		for _, observed := range []bool{false, true} {
			opts := []ratelimit.Option{ratelimit.PerSecond(1 << 40), ratelimit.WithName("api")}
			name := "bare"
			if observed {
				opts, name = append(opts, ratelimit.WithObserver(benchObserver(b))), "observed"
			}
			b.Run(name, func(b *testing.B) {
				l, err := ratelimit.New(newMemory(b), opts...)
				if err != nil {
					b.Fatal(err)
				}
				ctx := unsampled(b)
				b.ReportAllocs()
				for b.Loop() {
					l.Allow(ctx, "k")
				}
			})
		}
	})
}
