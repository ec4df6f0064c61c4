package memorystore_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// The admitting benchmarks use limits far above what a benchmark reaches, so
// they time the admission path, as ../../bench does for x/time/rate and
// go-limiter with the same shapes.

func BenchmarkLimiter(b *testing.B) {
	huge := int64(1 << 40)
	tests := []struct {
		name    string
		rates   []ratelimit.Rate
		weight  int64
		prefill int64 // units spent before timing, to time denials
	}{
		{"OneKeyOneRate", []ratelimit.Rate{ratelimit.PerSecond(huge)}, 1, 0},
		{"OneKeyThreeRates", []ratelimit.Rate{ratelimit.PerSecond(huge), ratelimit.PerMinute(huge << 5), ratelimit.PerHour(huge << 10)}, 1, 0},
		{"Weight5", []ratelimit.Rate{ratelimit.PerSecond(huge)}, 5, 0},
		{"Denied", []ratelimit.Rate{ratelimit.Per(100, time.Hour)}, 1, 100},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			l, ctx := newLimiter(b, tt.rates), b.Context()
			l.AllowN(ctx, "key", tt.prefill)
			b.ReportAllocs()
			for b.Loop() {
				l.AllowN(ctx, "key", tt.weight)
			}
		})
	}
	b.Run("OneKeyOneRateParallel", func(b *testing.B) {
		l, ctx := newLimiter(b, []ratelimit.Rate{ratelimit.PerSecond(huge)}), b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.AllowN(ctx, "key", 1)
			}
		})
	})
	b.Run("10kKeysParallel", func(b *testing.B) {
		l, ctx := newLimiter(b, []ratelimit.Rate{ratelimit.PerSecond(huge)}), b.Context()
		keys := make([]string, 10_000)
		for i := range keys {
			keys[i] = "key-" + strconv.Itoa(i)
		}
		var walkers atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			// Each goroutine walks from its own start with its own stride
			// (coprime with len(keys)), so they do not fall into lockstep.
			w := int(walkers.Add(1))
			stride := []int{7, 11, 13, 17, 19, 23, 29, 31}[w%8]
			for i := w * 1237; pb.Next(); i += stride {
				l.AllowN(ctx, keys[i%len(keys)], 1)
			}
		})
	})
}

func newLimiter(b *testing.B, rates []ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	l, err := memorystore.NewLimiter(rates)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

func BenchmarkBucketPutNow(b *testing.B) {
	bk, err := memorystore.NewBucket([]ratelimit.Rate{ratelimit.PerSecond(1 << 40)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		bk.PutNow(ctx, "key", 1)
	}
}
