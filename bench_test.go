package ratelimit_test

import (
	"context"
	"testing"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// BenchmarkLimiter times one take on one key of a memory store, under the
// limiter's own rates, a plan (WithRatesFor returning a Rates made once) and
// a prefix, and with an observer that does nothing: what each costs over
// the store alone.
func BenchmarkLimiter(b *testing.B) {
	rates, err := ratelimit.NewRates(ratelimit.PerSecond(1 << 40))
	if err != nil {
		b.Fatal(err)
	}
	s, err := memorystore.New()
	if err != nil {
		b.Fatal(err)
	}
	plan := func(context.Context, string) (ratelimit.Rates, error) { return rates, nil }
	for _, bm := range []struct {
		name string
		opts []ratelimit.Option
	}{
		{"own", []ratelimit.Option{rates}},
		{"plan", []ratelimit.Option{ratelimit.WithRatesFor(plan)}},
		{"prefix", []ratelimit.Option{rates, ratelimit.WithPrefix("api:")}},
		{"observer", []ratelimit.Option{rates, ratelimit.WithName("api"), ratelimit.WithObserver(nop{})}},
	} {
		l, err := ratelimit.New(s, bm.opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				if d, err := l.Allow(ctx, "key"); err != nil || !d.Allowed {
					b.Fatal(d, err)
				}
			}
		})
	}
}
