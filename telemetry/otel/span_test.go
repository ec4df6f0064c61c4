package otellimit_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	otellimit "github.com/gorate/ratelimit/telemetry/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// spanOf runs call inside a span of a real TracerProvider and returns the
// ended span's attributes, as "key=value" sorted, and its status code.
func spanOf(t *testing.T, call func(ctx context.Context)) ([]string, codes.Code) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(t.Context(), "request")
	call(ctx)
	span.End()
	ended := rec.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d spans ended, want 1", len(ended))
	}
	var got []string
	for _, kv := range ended[0].Attributes() {
		got = append(got, string(kv.Key)+"="+kv.Value.String())
	}
	slices.Sort(got)
	return got, ended[0].Status().Code
}

func TestSpanAttributes(t *testing.T) {
	limiter := func(t *testing.T, o *otellimit.Observer, s ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
		return newLimiter(t, s, append(opts, ratelimit.PerHour(2), ratelimit.WithName("api"), ratelimit.WithObserver(o))...)
	}
	for _, tc := range []struct {
		name string
		opts []otellimit.Option
		run  func(t *testing.T, ctx context.Context, o *otellimit.Observer)
		want []string
	}{{
		name: "allowed",
		run: func(t *testing.T, ctx context.Context, o *otellimit.Observer) {
			limiter(t, o, newMemory(t)).AllowN(ctx, "k", 2)
		},
		want: []string{"ratelimit.allowed=true", "ratelimit.limiter=api", "ratelimit.policy=enforce", "ratelimit.rate=2/h", "ratelimit.remaining=0", "ratelimit.weight=2"},
	}, {
		name: "denied",
		run: func(t *testing.T, ctx context.Context, o *otellimit.Observer) {
			l := limiter(t, o, newMemory(t))
			l.AllowN(context.Background(), "k", 2) // outside the span
			l.AllowN(ctx, "k", 1)
		},
		// The hour's unit is counted while ts >= now - 1h: it leaves 1h+1ms
		// after it came, and less than 1ms has passed.
		want: []string{"ratelimit.allowed=false", "ratelimit.limiter=api", "ratelimit.policy=enforce", "ratelimit.rate=2/h", "ratelimit.remaining=0", "ratelimit.retry_after_ms=3600001", "ratelimit.weight=1"},
	}, {
		name: "never",
		run: func(t *testing.T, ctx context.Context, o *otellimit.Observer) {
			limiter(t, o, newMemory(t)).AllowN(ctx, "k", 3)
		},
		want: []string{"ratelimit.allowed=false", "ratelimit.limiter=api", "ratelimit.policy=enforce", "ratelimit.rate=2/h", "ratelimit.remaining=2", "ratelimit.retry_after_ms=-1", "ratelimit.weight=3"},
	}, {
		name: "dry run",
		run: func(t *testing.T, ctx context.Context, o *otellimit.Observer) {
			limiter(t, o, newMemory(t), ratelimit.WithDryRun()).AllowN(ctx, "k", 3)
		},
		want: []string{"ratelimit.allowed=false", "ratelimit.limiter=api", "ratelimit.policy=dry_run", "ratelimit.rate=2/h", "ratelimit.remaining=2", "ratelimit.retry_after_ms=-1", "ratelimit.weight=3"},
	}, {
		name: "store error",
		run: func(t *testing.T, ctx context.Context, o *otellimit.Observer) {
			limiter(t, o, failing{}).AllowN(ctx, "k", 1)
		},
		want: []string{"ratelimit.error=store down", "ratelimit.limiter=api", "ratelimit.policy=enforce", "ratelimit.weight=1"},
	}, {
		name: "fail open",
		run: func(t *testing.T, ctx context.Context, o *otellimit.Observer) {
			limiter(t, o, failing{}, ratelimit.WithFailOpen()).AllowN(ctx, "k", 1)
		},
		want: []string{"ratelimit.error=store down", "ratelimit.limiter=api", "ratelimit.policy=fail_open", "ratelimit.weight=1"},
	}, {
		name: "shadow not on the span",
		run: func(t *testing.T, ctx context.Context, o *otellimit.Observer) {
			next := newLimiter(t, failing{}, ratelimit.PerHour(1), ratelimit.WithName("next"), ratelimit.WithObserver(o))
			limiter(t, o, newMemory(t), ratelimit.WithShadow(next)).AllowN(ctx, "k", 1)
		},
		want: []string{"ratelimit.allowed=true", "ratelimit.limiter=api", "ratelimit.policy=enforce", "ratelimit.rate=2/h", "ratelimit.remaining=1", "ratelimit.weight=1"},
	}, {
		name: "last limiter stands",
		run: func(t *testing.T, ctx context.Context, o *otellimit.Observer) {
			limiter(t, o, failing{}).AllowN(ctx, "k", 1)
			limiter(t, o, newMemory(t)).AllowN(ctx, "k", 1)
		},
		// ratelimit.error stays from the first: attributes are only set.
		want: []string{"ratelimit.allowed=true", "ratelimit.error=store down", "ratelimit.limiter=api", "ratelimit.policy=enforce", "ratelimit.rate=2/h", "ratelimit.remaining=1", "ratelimit.weight=1"},
	}, {
		name: "retry after rounded up",
		run: func(t *testing.T, ctx context.Context, o *otellimit.Observer) {
			o.Observe(ctx, ratelimit.Event{Limiter: "x", Weight: 1, Decision: ratelimit.Decision{Rate: ratelimit.PerSecond(1), RetryAfter: 1500 * time.Microsecond}})
		},
		want: []string{"ratelimit.allowed=false", "ratelimit.limiter=x", "ratelimit.policy=enforce", "ratelimit.rate=1/s", "ratelimit.remaining=0", "ratelimit.retry_after_ms=2", "ratelimit.weight=1"},
	}, {
		name: "WithoutSpans",
		opts: []otellimit.Option{otellimit.WithoutSpans()},
		run: func(t *testing.T, ctx context.Context, o *otellimit.Observer) {
			limiter(t, o, newMemory(t)).AllowN(ctx, "k", 1)
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { // the memory store's clock stands still
				o, _ := setup(t, tc.opts...)
				got, status := spanOf(t, func(ctx context.Context) { tc.run(t, ctx, o) })
				if !slices.Equal(got, tc.want) {
					t.Errorf("span attributes\n got %q\nwant %q", got, tc.want)
				}
				if status != codes.Unset {
					t.Errorf("span status %v, want Unset: the observer never sets it", status)
				}
			})
		})
	}
}
