// Package bench times this module's memory store against golang.org/x/time/rate
// and github.com/sethvargo/go-limiter's memorystore on the same shapes, in
// one go test -bench run, so their ratio is measured on one machine at one
// time. It is never tagged or imported.
//
// Ours is impl=ratelimit: a ratelimit.Limiter over a memory store, passing
// its rates with every take (impl=ratelimit-gcra and impl=ratelimit-counter
// under the constant-state algorithms). impl=ratelimit-plan picks each key's
// rates with ratelimit.WithRatesFor instead, from a Rates made once, as a
// plan lookup returns it. Compare with benchstat -col /impl.
package bench

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sethvargo/go-limiter/memorystore"
	"golang.org/x/time/rate"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
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

// ours returns a limiter enforcing rates over a memory store of its own
// under the default algorithm, the exact log. It passes its rates with every
// take, as every limiter does.
func ours(b *testing.B, rates ...ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	return oursWith(b, ratelimit.SlidingWindowLog, rates...)
}

// oursWith is ours under algorithm alg of the memory store.
func oursWith(b *testing.B, alg ratelimit.Algorithm, rates ...ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	return oursOver(b, alg, ratelimit.Rates(rates))
}

// oursPlan is ours picking every key's rates with ratelimit.WithRatesFor,
// from a Rates made once by NewRates, as a plan lookup returns it: the cost
// of a per-key plan over the limiter's own rates.
func oursPlan(b *testing.B, rates ...ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	plan, err := ratelimit.NewRates(rates...)
	if err != nil {
		b.Fatal(err)
	}
	return oursOver(b, ratelimit.SlidingWindowLog, ratelimit.WithRatesFor(func(context.Context, string) (ratelimit.Rates, error) {
		return plan, nil
	}))
}

// oursOver returns a limiter configured by opts over a new memory store of
// algorithm alg, closed when the benchmark ends.
func oursOver(b *testing.B, alg ratelimit.Algorithm, opts ...ratelimit.Option) *ratelimit.Limiter {
	b.Helper()
	s, err := ourmemory.New(ourmemory.WithAlgorithm(alg))
	if err != nil {
		b.Fatal(err)
	}
	l, err := ratelimit.New(s, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// constantAlgs are the memory store's constant-state algorithms, run beside
// the exact log as impl=ratelimit-gcra and impl=ratelimit-counter.
var constantAlgs = []struct {
	impl string
	alg  ratelimit.Algorithm
}{
	{"impl=ratelimit-gcra", ratelimit.GCRA},
	{"impl=ratelimit-counter", ratelimit.SlidingWindowCounter},
}

// logImpls are the memory store's exact log under the limiter's own rates
// (impl=ratelimit) and under a plan picked per key (impl=ratelimit-plan).
var logImpls = []struct {
	impl    string
	limiter func(*testing.B, ...ratelimit.Rate) *ratelimit.Limiter
}{
	{"impl=ratelimit", ours},
	{"impl=ratelimit-plan", oursPlan},
}

func goLimiter(b *testing.B, perSecond uint64) interface {
	Take(context.Context, string) (uint64, uint64, uint64, bool, error)
} {
	b.Helper()
	s, err := memorystore.New(&memorystore.Config{Tokens: perSecond, Interval: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func BenchmarkOneKeyOneRate(b *testing.B) {
	for _, c := range logImpls {
		b.Run(c.impl, func(b *testing.B) {
			l, ctx := c.limiter(b, ratelimit.PerSecond(huge)), b.Context()
			b.ReportAllocs()
			for b.Loop() {
				l.AllowN(ctx, "key", 1)
			}
		})
	}
	for _, c := range constantAlgs {
		b.Run(c.impl, func(b *testing.B) {
			l, ctx := oursWith(b, c.alg, ratelimit.PerSecond(huge)), b.Context()
			b.ReportAllocs()
			for b.Loop() {
				l.AllowN(ctx, "key", 1)
			}
		})
	}
	b.Run("impl=x-time-rate", func(b *testing.B) {
		l := rate.NewLimiter(huge, huge)
		b.ReportAllocs()
		for b.Loop() {
			l.Allow()
		}
	})
	b.Run("impl=go-limiter", func(b *testing.B) {
		s, ctx := goLimiter(b, huge), b.Context()
		b.ReportAllocs()
		for b.Loop() {
			s.Take(ctx, "key")
		}
	})
	// The floor a keyed decision is measured from: the clock read the
	// memory store makes, a map lookup of the key and one compare-and-swap
	// of a counter, deciding nothing.
	b.Run("impl=floor", func(b *testing.B) {
		key, m := "key", map[string]*atomic.Int64{"key": new(atomic.Int64)}
		b.ReportAllocs()
		for b.Loop() {
			now := core.MonotonicClock{}.Now()
			c := m[key]
			old := c.Load()
			c.CompareAndSwap(old, max(old, now)+1)
		}
	})
}

func BenchmarkOneKeyOneRateParallel(b *testing.B) {
	b.Run("impl=ratelimit", func(b *testing.B) {
		l, ctx := ours(b, ratelimit.PerSecond(huge)), b.Context()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.AllowN(ctx, "key", 1)
			}
		})
	})
	b.Run("impl=x-time-rate", func(b *testing.B) {
		l := rate.NewLimiter(huge, huge)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Allow()
			}
		})
	})
	b.Run("impl=go-limiter", func(b *testing.B) {
		s, ctx := goLimiter(b, huge), b.Context()
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
	for _, c := range logImpls {
		b.Run(c.impl, func(b *testing.B) {
			l, ctx := c.limiter(b, ratelimit.PerSecond(huge), ratelimit.PerMinute(huge*2), ratelimit.PerHour(huge*4)), b.Context()
			b.ReportAllocs()
			for b.Loop() {
				l.AllowN(ctx, "key", 1)
			}
		})
	}
	for _, c := range constantAlgs {
		b.Run(c.impl, func(b *testing.B) {
			// limit × interval must stay below 2^53 for these algorithms.
			l, ctx := oursWith(b, c.alg, ratelimit.PerSecond(1<<29), ratelimit.PerMinute(1<<30), ratelimit.PerHour(1<<31)), b.Context()
			b.ReportAllocs()
			for b.Loop() {
				l.AllowN(ctx, "key", 1)
			}
		})
	}
	b.Run("impl=x-time-rate", func(b *testing.B) {
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
	b.Run("impl=ratelimit", func(b *testing.B) {
		l, ctx := ours(b, ratelimit.PerSecond(huge)), b.Context()
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(ctx, "key", 5)
		}
	})
	b.Run("impl=x-time-rate", func(b *testing.B) {
		l := rate.NewLimiter(huge, huge)
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(time.Now(), 5)
		}
	})
}

// Benchmark10kKeysParallel has each goroutine walk the keys from its own
// starting point with its own stride, as independent clients would: walkers
// with one stride fall into lockstep on the same keys and time the convoy,
// not the store. Every take is admitted.
func Benchmark10kKeysParallel(b *testing.B) {
	bench10k(b, huge)
}

// Benchmark10kKeysParallelDenying is the same walk under a per-key limit of
// 100/s, so most takes are denied, as under a flood.
func Benchmark10kKeysParallelDenying(b *testing.B) {
	bench10k(b, 100)
}

func bench10k(b *testing.B, perSecond int64) {
	ks := keys(10_000)
	walk := func(b *testing.B, take func(key string)) {
		var walkers atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			w := int(walkers.Add(1))
			stride := []int{7, 11, 13, 17, 19, 23, 29, 31}[w%8] // coprime with len(ks)
			for i := w * 1237; pb.Next(); i += stride {
				take(ks[i%len(ks)])
			}
		})
	}
	for _, c := range logImpls {
		b.Run(c.impl, func(b *testing.B) {
			l, ctx := c.limiter(b, ratelimit.PerSecond(perSecond)), b.Context()
			walk(b, func(key string) { l.AllowN(ctx, key, 1) })
		})
	}
	for _, c := range constantAlgs {
		b.Run(c.impl, func(b *testing.B) {
			l, ctx := oursWith(b, c.alg, ratelimit.PerSecond(perSecond)), b.Context()
			walk(b, func(key string) { l.AllowN(ctx, key, 1) })
		})
	}
	b.Run("impl=go-limiter", func(b *testing.B) {
		s, ctx := goLimiter(b, uint64(perSecond)), b.Context()
		walk(b, func(key string) { s.Take(ctx, key) })
	})
}

// BenchmarkOneKeyDenied times the denial path: every limiter has spent its
// 100 units for the hour before the timer starts.
func BenchmarkOneKeyDenied(b *testing.B) {
	for _, c := range logImpls {
		b.Run(c.impl, func(b *testing.B) {
			l, ctx := c.limiter(b, ratelimit.PerHour(100)), b.Context()
			l.AllowN(ctx, "key", 100)
			b.ReportAllocs()
			for b.Loop() {
				l.AllowN(ctx, "key", 1)
			}
		})
	}
	b.Run("impl=x-time-rate", func(b *testing.B) {
		l := rate.NewLimiter(rate.Every(time.Hour/100), 100)
		l.AllowN(time.Now(), 100)
		b.ReportAllocs()
		for b.Loop() {
			l.Allow()
		}
	})
	b.Run("impl=go-limiter", func(b *testing.B) {
		s, err := memorystore.New(&memorystore.Config{Tokens: 100, Interval: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close(context.Background()) })
		ctx := b.Context()
		for range 100 {
			s.Take(ctx, "key")
		}
		b.ReportAllocs()
		for b.Loop() {
			s.Take(ctx, "key")
		}
	})
}
