package memorystore_test

import (
	"strconv"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// The benchmarks admit nearly every put (the limits are far above what a
// benchmark reaches), so they time the admission path, as the x/time/rate
// and go-limiter benchmarks in ../../bench do with the same shapes.

var (
	oneRate    = []ratelimit.Rate{ratelimit.PerSecond(1 << 40)}
	threeRates = []ratelimit.Rate{ratelimit.PerSecond(1 << 40), ratelimit.PerMinute(1 << 45), ratelimit.PerHour(1 << 50)}
)

func newLimiter(b *testing.B, rates []ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	l, err := memorystore.NewLimiter(rates)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

func BenchmarkLimiter(b *testing.B) {
	b.Run("OneKeyOneRate", func(b *testing.B) {
		l := newLimiter(b, oneRate)
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(ctx, "key", 1)
		}
	})
	b.Run("OneKeyOneRateParallel", func(b *testing.B) {
		l := newLimiter(b, oneRate)
		ctx := b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.AllowN(ctx, "key", 1)
			}
		})
	})
	b.Run("OneKeyThreeRates", func(b *testing.B) {
		l := newLimiter(b, threeRates)
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(ctx, "key", 1)
		}
	})
	b.Run("Weight5", func(b *testing.B) {
		l := newLimiter(b, oneRate)
		ctx := b.Context()
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(ctx, "key", 5)
		}
	})
	b.Run("10kKeysParallel", func(b *testing.B) {
		l := newLimiter(b, oneRate)
		ctx := b.Context()
		keys := make([]string, 10_000)
		for i := range keys {
			keys[i] = "key-" + strconv.Itoa(i)
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				l.AllowN(ctx, keys[i%len(keys)], 1)
				i += 7
			}
		})
	})
	b.Run("Denied", func(b *testing.B) {
		l := newLimiter(b, []ratelimit.Rate{ratelimit.Per(100, time.Hour)})
		ctx := b.Context()
		l.AllowN(ctx, "key", 100)
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(ctx, "key", 1)
		}
	})
}

func BenchmarkBucketPutNow(b *testing.B) {
	bk, err := memorystore.NewBucket(oneRate)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		bk.PutNow(ctx, "key", 1)
	}
}
