//go:build linux

package bench

import (
	"context"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/sethvargo/go-limiter/memorystore"

	"github.com/gorate/ratelimit"
)

// BenchmarkMemoryCPU times the memory stores of compare_test.go's shapes in
// CPU time as well as wall time: besides ns/op, each reports cpu-ns/op, the
// CPU time the process spent per operation. On a machine whose other
// processes take the cores away, ns/op counts the time the benchmark waited
// for a core; cpu-ns/op does not, and moves far less from run to run.
//
// Serial shapes read the benchmark thread's own CPU clock. Parallel shapes
// read the process's CPU time (every thread's: the garbage collector's work
// included, for every implementation alike): there, cpu-ns/op is what an
// operation costs, not how many operations the cores complete; a lock that
// parks its waiters costs less CPU than one that spins, and may still admit
// fewer operations per second.
//
// Compare with benchstat -col /impl, on the cpu-ns/op rows.
func BenchmarkMemoryCPU(b *testing.B) {
	type limiter struct {
		impl string
		new  func(*testing.B, ratelimit.Rate) func(ctx context.Context, key string)
	}
	ourAlg := func(alg ratelimit.Algorithm) func(*testing.B, ratelimit.Rate) func(context.Context, string) {
		return func(b *testing.B, r ratelimit.Rate) func(context.Context, string) {
			l := oursWith(b, alg, r)
			return func(ctx context.Context, key string) { l.AllowN(ctx, key, 1) }
		}
	}
	limiters := []limiter{
		{"impl=ratelimit", ourAlg(ratelimit.SlidingWindowLog)},
		{"impl=ratelimit-gcra", ourAlg(ratelimit.GCRA)},
		{"impl=ratelimit-counter", ourAlg(ratelimit.SlidingWindowCounter)},
		{"impl=go-limiter", func(b *testing.B, r ratelimit.Rate) func(context.Context, string) {
			s, err := memorystore.New(&memorystore.Config{Tokens: uint64(r.Limit), Interval: r.Interval})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close(context.Background()) })
			return func(ctx context.Context, key string) { s.Take(ctx, key) }
		}},
	}
	admitAll := ratelimit.PerSecond(huge)
	for _, l := range limiters {
		b.Run("shape=OneKey/"+l.impl, func(b *testing.B) {
			take, ctx := l.new(b, admitAll), b.Context()
			serialCPU(b, func() { take(ctx, "key") })
		})
		b.Run("shape=OneKeyDenied/"+l.impl, func(b *testing.B) {
			take, ctx := l.new(b, ratelimit.PerHour(100)), b.Context()
			for range 100 {
				take(ctx, "key")
			}
			serialCPU(b, func() { take(ctx, "key") })
		})
		b.Run("shape=OneKeyParallel/"+l.impl, func(b *testing.B) {
			take, ctx := l.new(b, admitAll), b.Context()
			parallelCPU(b, func(*atomic.Int64) func() { return func() { take(ctx, "key") } })
		})
		for _, c := range []struct {
			shape string
			rate  ratelimit.Rate
		}{{"10kKeysParallel", admitAll}, {"10kKeysParallelDenying", ratelimit.PerSecond(100)}} {
			b.Run("shape="+c.shape+"/"+l.impl, func(b *testing.B) {
				take, ctx, ks := l.new(b, c.rate), b.Context(), keys(10_000)
				// The walk of bench10k: each goroutine from its own start,
				// with its own stride.
				parallelCPU(b, func(walkers *atomic.Int64) func() {
					w := int(walkers.Add(1))
					stride := []int{7, 11, 13, 17, 19, 23, 29, 31}[w%8]
					i := w * 1237
					return func() {
						take(ctx, ks[i%len(ks)])
						i += stride
					}
				})
			})
		}
	}
}

// serialCPU runs op in b.Loop on one locked thread and reports the thread's
// CPU time per op.
func serialCPU(b *testing.B, op func()) {
	b.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	start, n := threadCPU(), 0
	for b.Loop() {
		op()
		n++
	}
	b.ReportMetric(float64(threadCPU()-start)/float64(n), "cpu-ns/op")
}

// parallelCPU runs the op each goroutine gets from newOp under
// b.RunParallel and reports the process's CPU time per op.
func parallelCPU(b *testing.B, newOp func(walkers *atomic.Int64) func()) {
	b.Helper()
	var walkers atomic.Int64
	b.ReportAllocs()
	start := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		op := newOp(&walkers)
		for pb.Next() {
			op()
		}
	})
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// threadCPU returns the calling thread's CPU time in nanoseconds
// (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() time.Duration {
	const clockThreadCPUTime = 3
	var ts syscall.Timespec
	if _, _, errno := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return time.Duration(ts.Nano())
}

// processCPU returns the CPU time, user and system, of every thread of the
// process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
