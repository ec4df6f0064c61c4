package fallback_test

import (
	"context"
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/fallback"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// BenchmarkTake measures what the wrapper adds to a take on one key: the
// memory store alone, the same behind a fallback store (on the primary,
// each call bounded by the timeout), and a fallback store deciding locally
// with the limits halved.
func BenchmarkTake(b *testing.B) {
	rs, _ := ratelimit.NewRates(ratelimit.PerSecond(1_000_000_000))
	ctx := context.Background()
	run := func(b *testing.B, s ratelimit.Store) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Take(ctx, "k", rs, 1); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("store=memory", func(b *testing.B) {
		m, _ := memorystore.New()
		run(b, m)
	})
	b.Run("store=primary", func(b *testing.B) {
		m, _ := memorystore.New()
		s, _ := fallback.New(m, 2)
		run(b, s)
	})
	b.Run("store=local", func(b *testing.B) {
		s, _ := fallback.New(down{}, 2, fallback.WithProbeInterval(1<<62))
		run(b, s)
	})
}
