//go:build linux || darwin

package mpstore_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	mpstore "github.com/gorate/ratelimit/store/multiprocess"
)

// The admitting benchmarks use limits far above what a benchmark reaches, so
// they time the admission path. Each acquire takes and drops the file lock:
// two flock(2) calls are most of its cost.

func BenchmarkAcquire(b *testing.B) {
	huge := int64(1 << 40)
	tests := []struct {
		name    string
		rates   []ratelimit.Rate
		weight  int64
		prefill int64 // units spent before timing, to time denials
	}{
		{"OneKeyOneRate", []ratelimit.Rate{ratelimit.PerSecond(huge)}, 1, 0},
		{"OneKeyThreeRates", []ratelimit.Rate{ratelimit.PerSecond(huge), ratelimit.PerMinute(huge << 5), ratelimit.PerHour(huge << 10)}, 1, 0},
		{"Denied", []ratelimit.Rate{ratelimit.Per(100, time.Hour)}, 1, 100},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			s, ctx := openStore(b, tempPath(b), tt.rates), b.Context()
			s.Acquire(ctx, "key", tt.prefill)
			b.ReportAllocs()
			for b.Loop() {
				s.Acquire(ctx, "key", tt.weight)
			}
		})
	}
	b.Run("OneKeyParallel", func(b *testing.B) {
		s, ctx := openStore(b, tempPath(b), []ratelimit.Rate{ratelimit.PerSecond(huge)}), b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Acquire(ctx, "key", 1)
			}
		})
	})
	b.Run("1000KeysParallel", func(b *testing.B) {
		s, ctx := openStore(b, tempPath(b), []ratelimit.Rate{ratelimit.PerSecond(huge)}), b.Context()
		keys := make([]string, 1000)
		for i := range keys {
			keys[i] = "key-" + strconv.Itoa(i)
		}
		var walkers atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			w := int(walkers.Add(1))
			for i := w * 137; pb.Next(); i += 7 {
				s.Acquire(ctx, keys[i%len(keys)], 1)
			}
		})
	})
}

// BenchmarkAlgorithms times one process's acquires for each algorithm side
// by side, with rates the constant-state algorithms compute exactly.
func BenchmarkAlgorithms(b *testing.B) {
	tests := []struct {
		name    string
		rates   []ratelimit.Rate
		keys    int
		prefill int64
	}{
		{"OneKeyOneRate", []ratelimit.Rate{ratelimit.PerSecond(1 << 40)}, 1, 0},
		{"OneKeyThreeRates", []ratelimit.Rate{ratelimit.PerSecond(1 << 20), ratelimit.PerMinute(1 << 25), ratelimit.PerHour(1 << 30)}, 1, 0},
		{"1000Keys", []ratelimit.Rate{ratelimit.PerSecond(1 << 40)}, 1000, 0},
		{"Denied", []ratelimit.Rate{ratelimit.Per(100, time.Hour)}, 1, 100},
	}
	for _, alg := range []ratelimit.Algorithm{ratelimit.AlgorithmSlidingWindowLog, ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter} {
		for _, tt := range tests {
			b.Run(string(alg)+"/"+tt.name, func(b *testing.B) {
				s, ctx := openStore(b, tempPath(b), tt.rates, mpstore.WithAlgorithm(alg), mpstore.WithMaxKeys(2048)), b.Context()
				keys := make([]string, tt.keys)
				for i := range keys {
					keys[i] = "key-" + strconv.Itoa(i)
					s.Acquire(ctx, keys[i], tt.prefill)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := s.Acquire(ctx, keys[i%len(keys)], 1); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
