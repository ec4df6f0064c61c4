//go:build linux || darwin

package mpstore_test

import (
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	mpstore "github.com/gorate/ratelimit/store/multiprocess"
)

// The admitting benchmarks use limits far above what a benchmark reaches, so
// they time the admission path. Each take takes and drops the file lock:
// two flock(2) calls are most of its cost. Rings hold 2048 entries, enough
// for rates of up to 2 seconds.

func BenchmarkTake(b *testing.B) {
	huge := int64(1 << 40)
	tests := []struct {
		name    string
		rates   ratelimit.Rates
		weight  int64
		prefill int64 // units spent before timing, to time denials
	}{
		{"OneKeyOneRate", ratelimit.Rates{ratelimit.PerSecond(huge)}, 1, 0},
		{"OneKeyThreeRates", ratelimit.Rates{{Limit: huge, Interval: 100 * time.Millisecond}, ratelimit.PerSecond(huge << 3), {Limit: huge << 4, Interval: 2 * time.Second}}, 1, 0},
		{"Denied", ratelimit.Rates{ratelimit.PerHour(100)}, 1, 100},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			s, ctx := openStore(b, mpstore.WithMaxEntries(2048)), b.Context()
			s.Take(ctx, "key", tt.rates, tt.prefill)
			b.ReportAllocs()
			for b.Loop() {
				s.Take(ctx, "key", tt.rates, tt.weight)
			}
		})
	}
	one := ratelimit.Rates{ratelimit.PerSecond(huge)}
	b.Run("OneKeyParallel", func(b *testing.B) {
		s, ctx := openStore(b, mpstore.WithMaxEntries(2048)), b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Take(ctx, "key", one, 1)
			}
		})
	})
	b.Run("1000KeysParallel", func(b *testing.B) {
		s, ctx := openStore(b, mpstore.WithMaxEntries(2048)), b.Context()
		keys := make([]string, 1000)
		for i := range keys {
			keys[i] = "key-" + strconv.Itoa(i)
		}
		var walkers atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			w := int(walkers.Add(1))
			for i := w * 137; pb.Next(); i += 7 {
				s.Take(ctx, keys[i%len(keys)], one, 1)
			}
		})
	})
}

// BenchmarkAlgorithms times one process's takes for each algorithm side
// by side, with rates the constant-state algorithms compute exactly.
func BenchmarkAlgorithms(b *testing.B) {
	tests := []struct {
		name    string
		rates   ratelimit.Rates
		keys    int
		prefill int64
	}{
		{"OneKeyOneRate", ratelimit.Rates{ratelimit.PerSecond(1 << 40)}, 1, 0},
		{"OneKeyThreeRates", ratelimit.Rates{{Limit: 1 << 20, Interval: 100 * time.Millisecond}, ratelimit.PerSecond(1 << 22), {Limit: 1 << 23, Interval: 2 * time.Second}}, 1, 0},
		{"1000Keys", ratelimit.Rates{ratelimit.PerSecond(1 << 40)}, 1000, 0},
		{"Denied", ratelimit.Rates{ratelimit.PerHour(100)}, 1, 100},
	}
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		for _, tt := range tests {
			b.Run(string(alg)+"/"+tt.name, func(b *testing.B) {
				s, ctx := openStore(b, mpstore.WithAlgorithm(alg), mpstore.WithMaxKeys(2048), mpstore.WithMaxEntries(2048)), b.Context()
				keys := make([]string, tt.keys)
				for i := range keys {
					keys[i] = "key-" + strconv.Itoa(i)
					s.Take(ctx, keys[i], tt.rates, tt.prefill)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := s.Take(ctx, keys[i%len(keys)], tt.rates, 1); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// openStore opens a store on a new file of the benchmark's, closed when it
// ends.
func openStore(b *testing.B, opts ...mpstore.Option) *mpstore.Store {
	b.Helper()
	s, err := mpstore.Open(filepath.Join(b.TempDir(), "store"), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}
