// Package bench times this module's memory store against golang.org/x/time/rate
// and github.com/sethvargo/go-limiter's memorystore on the same shapes, in
// one go test -bench run, so their ratio is measured on one machine at one
// time. It is never tagged or imported.
package bench

import (
	"context"
	"strconv"
	"testing"

	"github.com/sethvargo/go-limiter/memorystore"
	"golang.org/x/time/rate"

	ratelimit "github.com/gorate/ratelimit/core"
	ourmemory "github.com/gorate/ratelimit/store/memory"
)

// Every limiter gets a limit far above what a benchmark reaches, so each one
// times its admission path.
const huge = 1 << 40

func keys(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = "key-" + strconv.Itoa(i)
	}
	return ks
}

func ours(b *testing.B, rates ...ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	l, err := ourmemory.NewLimiter(rates)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

func goLimiter(b *testing.B) interface {
	Take(context.Context, string) (uint64, uint64, uint64, bool, error)
} {
	b.Helper()
	s, err := memorystore.New(&memorystore.Config{Tokens: huge, Interval: 1e9})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func BenchmarkOneKeyOneRate(b *testing.B) {
	b.Run("ratelimit", func(b *testing.B) {
		l, ctx := ours(b, ratelimit.PerSecond(huge)), b.Context()
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(ctx, "key", 1)
		}
	})
	b.Run("x-time-rate", func(b *testing.B) {
		l := rate.NewLimiter(huge, huge)
		b.ReportAllocs()
		for b.Loop() {
			l.Allow()
		}
	})
	b.Run("go-limiter", func(b *testing.B) {
		s, ctx := goLimiter(b), b.Context()
		b.ReportAllocs()
		for b.Loop() {
			s.Take(ctx, "key")
		}
	})
}

func BenchmarkOneKeyOneRateParallel(b *testing.B) {
	b.Run("ratelimit", func(b *testing.B) {
		l, ctx := ours(b, ratelimit.PerSecond(huge)), b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.AllowN(ctx, "key", 1)
			}
		})
	})
	b.Run("x-time-rate", func(b *testing.B) {
		l := rate.NewLimiter(huge, huge)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Allow()
			}
		})
	})
	b.Run("go-limiter", func(b *testing.B) {
		s, ctx := goLimiter(b), b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Take(ctx, "key")
			}
		})
	})
}

// BenchmarkOneKeyThreeRates has x/time/rate check three limiters, the way a
// user enforces three rates with it.
func BenchmarkOneKeyThreeRates(b *testing.B) {
	b.Run("ratelimit", func(b *testing.B) {
		l, ctx := ours(b, ratelimit.PerSecond(huge), ratelimit.PerMinute(huge*2), ratelimit.PerHour(huge*4)), b.Context()
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(ctx, "key", 1)
		}
	})
	b.Run("x-time-rate", func(b *testing.B) {
		ls := []*rate.Limiter{rate.NewLimiter(huge, huge), rate.NewLimiter(huge/60, huge*2), rate.NewLimiter(huge/3600, huge*4)}
		b.ReportAllocs()
		for b.Loop() {
			for _, l := range ls {
				if !l.Allow() {
					break
				}
			}
		}
	})
}

func BenchmarkWeight5(b *testing.B) {
	b.Run("ratelimit", func(b *testing.B) {
		l, ctx := ours(b, ratelimit.PerSecond(huge)), b.Context()
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(ctx, "key", 5)
		}
	})
	b.Run("x-time-rate", func(b *testing.B) {
		l := rate.NewLimiter(huge, huge)
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(timeNow(), 5)
		}
	})
}

func Benchmark10kKeysParallel(b *testing.B) {
	ks := keys(10_000)
	b.Run("ratelimit", func(b *testing.B) {
		l, ctx := ours(b, ratelimit.PerSecond(huge)), b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i += 7 {
				l.AllowN(ctx, ks[i%len(ks)], 1)
			}
		})
	})
	b.Run("go-limiter", func(b *testing.B) {
		s, ctx := goLimiter(b), b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i += 7 {
				s.Take(ctx, ks[i%len(ks)])
			}
		})
	})
}
