package sqlitestore_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// BenchmarkTake times one process's takes on a file database. The
// admitting shapes use limits no benchmark reaches, so every take inserts
// a row; Denied times the read-only path of a full window.
func BenchmarkTake(b *testing.B) {
	huge := int64(1 << 40)
	tests := []struct {
		name    string
		rates   ratelimit.Rates
		keys    int
		n       int64
		prefill int64
	}{
		{"OneKeyOneRate", ratelimit.Rates{ratelimit.PerSecond(huge)}, 1, 1, 0},
		{"OneKeyThreeRates", ratelimit.Rates{ratelimit.PerSecond(huge), ratelimit.PerMinute(huge << 5), ratelimit.PerHour(huge << 10)}, 1, 1, 0},
		{"1000Keys", ratelimit.Rates{ratelimit.PerSecond(huge)}, 1000, 1, 0},
		{"Denied", ratelimit.Rates{ratelimit.PerHour(100)}, 1, 1, 100},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			s := openStore(b, filepath.Join(b.TempDir(), "bench.db"))
			ctx := b.Context()
			keys := make([]string, tt.keys)
			for i := range keys {
				keys[i] = "key-" + strconv.Itoa(i)
				s.Take(ctx, keys[i], tt.rates, tt.prefill)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Take(ctx, keys[i%len(keys)], tt.rates, tt.n); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("Parallel", func(b *testing.B) {
		s := openStore(b, filepath.Join(b.TempDir(), "bench.db"))
		rates := ratelimit.Rates{ratelimit.PerSecond(huge)}
		ctx := b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Take(ctx, "key", rates, 1); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkProcesses times takes made by 4 processes at once on one file
// (child processes, as in the cross-process tests), and reports their
// total throughput as takes/s. One op is one take by any process. OneKey
// and 1000Keys admit every take (each inserts a row); OneKeyDenied hammers
// one key held at 50/s, the shape of TestCrossProcessExact.
func BenchmarkProcesses(b *testing.B) {
	const procs = 4
	tests := []struct {
		name, rate string
		keys       int
	}{
		{"OneKey", "1099511627776/s", 1},
		{"1000Keys", "1099511627776/s", 1000},
		{"OneKeyDenied", "50/s", 1},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "procs.db")
			per := (b.N + procs - 1) / procs
			children := startChildren(b, procs, path, helperJob(tt.rate, tt.keys, 0, per, false)...)
			b.ResetTimer()
			start := time.Now()
			for _, c := range children {
				c.start(b)
			}
			total := 0
			for i, c := range children {
				_, done := c.collect()
				if done == nil {
					b.Fatalf("child %d ended without a done line", i)
				}
				total += int(done[0])
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(total)/elapsed.Seconds(), "takes/s")
		})
	}
}

// BenchmarkAlgorithms times one process's takes on a file database for
// each algorithm side by side: the log inserts a row per admitted take,
// GCRA and the counter rewrite one row per key. Admit uses limits no
// benchmark reaches (within what the constant-state algorithms compute
// exactly); Denied hammers a full key.
func BenchmarkAlgorithms(b *testing.B) {
	huge := int64(1 << 40)
	shapes := []struct {
		name  string
		rates ratelimit.Rates
		keys  int
		n     int64
		full  bool
	}{
		{"OneKeyOneRate", ratelimit.Rates{ratelimit.PerSecond(huge)}, 1, 1, false},
		{"OneKeyThreeRates", ratelimit.Rates{ratelimit.PerSecond(1 << 20), ratelimit.PerMinute(1 << 25), ratelimit.PerHour(1 << 30)}, 1, 1, false},
		{"1000Keys", ratelimit.Rates{ratelimit.PerSecond(huge)}, 1000, 1, false},
		{"Denied", ratelimit.Rates{ratelimit.PerHour(100)}, 1, 1, true},
	}
	for _, alg := range algorithms {
		for _, tt := range shapes {
			b.Run(string(alg)+"/"+tt.name, func(b *testing.B) {
				s := openStore(b, filepath.Join(b.TempDir(), "bench.db"), sqlitestore.WithAlgorithm(alg))
				ctx := b.Context()
				keys := make([]string, tt.keys)
				for i := range keys {
					keys[i] = "key-" + strconv.Itoa(i)
					if tt.full {
						s.Take(ctx, keys[i], tt.rates, 100)
					}
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := s.Take(ctx, keys[i%len(keys)], tt.rates, tt.n); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
