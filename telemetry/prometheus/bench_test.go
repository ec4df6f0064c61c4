package promlimit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gorate/ratelimit"
	promlimit "github.com/gorate/ratelimit/telemetry/prometheus"
)

// BenchmarkObserve times Observe for a label set already seen: a decision
// (what a limiter over the memory store reports), a timed decision (a store
// that is not Local), and a fail-open pass; then a decision of the 64th
// limiter name seen, and of a name beyond the cap (limiter="other").
func BenchmarkObserve(b *testing.B) {
	decision := ratelimit.Event{Limiter: "api", Weight: 1, Decision: ratelimit.Decision{Allowed: true, Rate: ratelimit.PerSecond(10), Remaining: 9}}
	timed := decision
	timed.Latency = 300 * time.Microsecond
	failure := ratelimit.Event{Limiter: "api", Weight: 1, Policy: ratelimit.FailOpen, Latency: 2 * time.Millisecond, Err: errDown}
	last, beyond := decision, decision
	last.Limiter, beyond.Limiter = "l063", "l064"
	for _, bc := range []struct {
		name   string
		e      ratelimit.Event
		others int // limiter names seen before e's
	}{
		{"event=decision", decision, 0},
		{"event=timed", timed, 0},
		{"event=fail-open", failure, 0},
		{"event=decision/limiter=64th", last, 63},
		{"event=decision/limiter=other", beyond, 64},
	} {
		b.Run(bc.name, func(b *testing.B) {
			o, err := promlimit.New(prometheus.NewRegistry())
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			for i := range bc.others {
				e := bc.e
				e.Limiter = fmt.Sprintf("l%03d", i)
				o.Observe(ctx, e)
			}
			o.Observe(ctx, bc.e)
			b.ReportAllocs()
			for b.Loop() {
				o.Observe(ctx, bc.e)
			}
		})
	}
}
