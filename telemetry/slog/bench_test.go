package sloglimit_test

import (
	"log/slog"
	"testing"

	"github.com/gorate/ratelimit"
	sloglimit "github.com/gorate/ratelimit/telemetry/slog"
)

// BenchmarkObserve measures an event of each fate: not logged (allowed),
// at a disabled level, dropped by the Observer's rate (alone and from every
// P at once), and written by a JSON handler to a discarding writer.
func BenchmarkObserve(b *testing.B) {
	deny := ratelimit.Event{Limiter: "api", Key: "user:42", Weight: 1, Decision: denial}
	json := slog.New(slog.NewJSONHandler(discard{}, nil))
	for _, c := range []struct {
		name string
		obs  *sloglimit.Observer
		e    ratelimit.Event
	}{
		{"allowed", sloglimit.New(json), ratelimit.Event{Decision: allow}},
		{"disabled", sloglimit.New(slog.New(slog.NewJSONHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelWarn}))), deny},
		{"dropped", sloglimit.New(json, sloglimit.WithRate(ratelimit.PerHour(1))), deny},
		{"written", sloglimit.New(json, sloglimit.WithRate(ratelimit.PerSecond(1<<40))), deny},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				c.obs.Observe(ctx, c.e)
			}
		})
	}
	b.Run("dropped-parallel", func(b *testing.B) {
		obs := sloglimit.New(json, sloglimit.WithRate(ratelimit.PerHour(1)))
		ctx := b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				obs.Observe(ctx, deny)
			}
		})
	})
}
