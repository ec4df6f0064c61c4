package sqlitestore_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// BenchmarkAcquire times one process's acquires on a file database. The
// admitting shapes use limits no benchmark reaches, so every acquire
// inserts a row; Denied times the read-only path of a full window.
func BenchmarkAcquire(b *testing.B) {
	huge := int64(1 << 40)
	tests := []struct {
		name    string
		rates   []ratelimit.Rate
		keys    int
		weight  int64
		prefill int64
	}{
		{"OneKeyOneRate", []ratelimit.Rate{ratelimit.PerSecond(huge)}, 1, 1, 0},
		{"OneKeyThreeRates", []ratelimit.Rate{ratelimit.PerSecond(huge), ratelimit.PerMinute(huge << 5), ratelimit.PerHour(huge << 10)}, 1, 1, 0},
		{"1000Keys", []ratelimit.Rate{ratelimit.PerSecond(huge)}, 1000, 1, 0},
		{"Denied", []ratelimit.Rate{ratelimit.Per(100, time.Hour)}, 1, 1, 100},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			s := openBench(b, tt.rates)
			ctx := b.Context()
			keys := make([]string, tt.keys)
			for i := range keys {
				keys[i] = "key-" + strconv.Itoa(i)
				s.Acquire(ctx, keys[i], tt.prefill)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Acquire(ctx, keys[i%len(keys)], tt.weight); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("Parallel", func(b *testing.B) {
		s := openBench(b, []ratelimit.Rate{ratelimit.PerSecond(huge)})
		ctx := b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Acquire(ctx, "key", 1); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func openBench(b *testing.B, rates []ratelimit.Rate) *sqlitestore.Store {
	b.Helper()
	s, err := sqlitestore.Open(filepath.Join(b.TempDir(), "bench.db"), rates, sqlitestore.WithSweepInterval(0))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkProcesses times acquires made by 4 processes at once on one file
// (child processes, as in the cross-process tests), and reports their
// total throughput as acquires/s. One op is one acquire by any process.
// OneKey and 1000Keys admit every acquire (each inserts a row); Denied
// hammers one name held at 50/s, the shape of TestCrossProcessExact.
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
				c.Start(b)
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
			b.ReportMetric(float64(total)/elapsed.Seconds(), "acquires/s")
		})
	}
}

// BenchmarkAlgorithms times one process's acquires on a file database for
// each algorithm side by side: the log inserts a row per admitted put, GCRA
// and the counter rewrite one row per name. Admit uses limits no benchmark
// reaches (within what the constant-state algorithms compute exactly);
// Denied hammers a full name.
func BenchmarkAlgorithms(b *testing.B) {
	huge := int64(1 << 40)
	shapes := []struct {
		name   string
		rates  []ratelimit.Rate
		keys   int
		weight int64
		full   bool
	}{
		{"OneKeyOneRate", []ratelimit.Rate{ratelimit.PerSecond(huge)}, 1, 1, false},
		{"OneKeyThreeRates", []ratelimit.Rate{ratelimit.PerSecond(1 << 20), ratelimit.PerMinute(1 << 25), ratelimit.PerHour(1 << 30)}, 1, 1, false},
		{"1000Keys", []ratelimit.Rate{ratelimit.PerSecond(huge)}, 1000, 1, false},
		{"Denied", []ratelimit.Rate{ratelimit.Per(100, time.Hour)}, 1, 1, true},
	}
	for _, alg := range algorithms {
		for _, tt := range shapes {
			b.Run(string(alg)+"/"+tt.name, func(b *testing.B) {
				s, err := sqlitestore.Open(filepath.Join(b.TempDir(), "bench.db"), tt.rates, sqlitestore.WithSweepInterval(0), sqlitestore.WithAlgorithm(alg))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { s.Close() })
				ctx := b.Context()
				keys := make([]string, tt.keys)
				for i := range keys {
					keys[i] = "key-" + strconv.Itoa(i)
					if tt.full {
						s.Acquire(ctx, keys[i], 100)
					}
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := s.Acquire(ctx, keys[i%len(keys)], tt.weight); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
