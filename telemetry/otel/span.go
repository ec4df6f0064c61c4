package otellimit

import (
	"context"
	"time"

	"github.com/gorate/ratelimit"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// annotate sets e's attributes on the context's span if it is recording.
func annotate(ctx context.Context, e *ratelimit.Event) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	kv := make([]attribute.KeyValue, 0, 7)
	kv = append(kv,
		keyLimiter.String(e.Limiter),
		keyPolicy.String(e.Policy.String()),
		attribute.Int64("ratelimit.weight", e.Weight))
	if e.Err != nil {
		kv = append(kv, attribute.String("ratelimit.error", e.Err.Error()))
		span.SetAttributes(kv...)
		return
	}
	d := e.Decision
	kv = append(kv,
		attribute.Bool("ratelimit.allowed", d.Allowed),
		keyRate.String(d.Rate.String()),
		attribute.Int64("ratelimit.remaining", d.Remaining))
	if !d.Allowed {
		kv = append(kv, attribute.Int64("ratelimit.retry_after_ms", retryAfterMillis(d.RetryAfter)))
	}
	span.SetAttributes(kv...)
}

// retryAfterMillis returns d in milliseconds, rounded up; -1 for
// [ratelimit.Never].
func retryAfterMillis(d time.Duration) int64 {
	if d == ratelimit.Never {
		return -1
	}
	ms := d / time.Millisecond
	if d%time.Millisecond > 0 {
		ms++
	}
	return int64(ms)
}
