package memorystore_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// The store under benchmark, through the call a limiter makes.

type taker struct {
	s     *memorystore.Store
	rates ratelimit.Rates
}

func newTaker(b *testing.B, alg ratelimit.Algorithm, rates ...ratelimit.Rate) taker {
	b.Helper()
	s, err := memorystore.New(memorystore.WithAlgorithm(alg))
	if err != nil {
		b.Fatal(err)
	}
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		b.Fatal(err)
	}
	return taker{s, rs}
}

func (t taker) take(ctx context.Context, key string, n int64) {
	t.s.Take(ctx, key, t.rates, n)
}

// newLimiter returns a limiter over a new store, as a user makes one.
func newLimiter(b *testing.B, rates ...ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	s, err := memorystore.New()
	if err != nil {
		b.Fatal(err)
	}
	l, err := ratelimit.New(s, ratelimit.Rates(rates))
	if err != nil {
		b.Fatal(err)
	}
	return l
}

var algorithms = []struct {
	name string
	alg  ratelimit.Algorithm
}{
	{"alg=log", ratelimit.SlidingWindowLog},
	{"alg=gcra", ratelimit.GCRA},
	{"alg=counter", ratelimit.SlidingWindowCounter},
}

// The shapes below are those of ../../bench, timed on the store's own call
// (and, in BenchmarkLimiter, through a limiter). The admitting ones use
// limits far above what a benchmark reaches, so they time the admission
// path. GCRA and the counter need limit × interval below 2^53.

const huge = int64(1) << 40

// ratesFor returns n rates suited to alg, admitting everything.
func ratesFor(alg ratelimit.Algorithm, n int) []ratelimit.Rate {
	log := []ratelimit.Rate{ratelimit.PerSecond(huge), ratelimit.PerMinute(huge << 5), ratelimit.PerHour(huge << 10)}
	constant := []ratelimit.Rate{ratelimit.PerSecond(1 << 29), ratelimit.PerMinute(1 << 30), ratelimit.PerHour(1 << 31)}
	if alg == ratelimit.SlidingWindowLog {
		return log[:n]
	}
	return constant[:n]
}

func BenchmarkTake(b *testing.B) {
	for _, a := range algorithms {
		for _, shape := range []struct {
			name    string
			rates   []ratelimit.Rate
			weight  int64
			prefill int64 // units taken before timing, to time denials
		}{
			{"OneKeyOneRate", ratesFor(a.alg, 1), 1, 0},
			{"OneKeyTwoRates", ratesFor(a.alg, 2), 1, 0},
			{"OneKeyThreeRates", ratesFor(a.alg, 3), 1, 0},
			{"Weight5", ratesFor(a.alg, 1), 5, 0},
			{"Denied", []ratelimit.Rate{ratelimit.PerHour(100)}, 1, 100},
		} {
			b.Run(shape.name+"/"+a.name, func(b *testing.B) {
				t, ctx := newTaker(b, a.alg, shape.rates...), b.Context()
				t.take(ctx, "key", shape.prefill)
				b.ReportAllocs()
				for b.Loop() {
					t.take(ctx, "key", shape.weight)
				}
			})
		}
		b.Run("OneKeyParallel/"+a.name, func(b *testing.B) {
			t, ctx := newTaker(b, a.alg, ratesFor(a.alg, 1)...), b.Context()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					t.take(ctx, "key", 1)
				}
			})
		})
		b.Run("10kKeysParallel/"+a.name, func(b *testing.B) {
			t, ctx := newTaker(b, a.alg, ratesFor(a.alg, 1)...), b.Context()
			walk10k(b, func(key string) { t.take(ctx, key, 1) })
		})
		b.Run("10kKeysParallelDenying/"+a.name, func(b *testing.B) {
			t, ctx := newTaker(b, a.alg, ratelimit.PerSecond(100)), b.Context()
			walk10k(b, func(key string) { t.take(ctx, key, 1) })
		})
		b.Run("NewKeys/"+a.name, func(b *testing.B) {
			// A stream of keys, each new to the store or idle for 20ms:
			// the store adds and drops keys as it goes.
			t, ctx := newTaker(b, a.alg, ratelimit.Rate{Limit: 10, Interval: 10 * time.Millisecond}), b.Context()
			ks := keys(1 << 20)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				t.take(ctx, ks[i&(len(ks)-1)], 1)
				i++
			}
		})
	}
}

// BenchmarkLimiter times the same store under a limiter's AllowN.
func BenchmarkLimiter(b *testing.B) {
	b.Run("OneKeyOneRate", func(b *testing.B) {
		l, ctx := newLimiter(b, ratelimit.PerSecond(huge)), b.Context()
		b.ReportAllocs()
		for b.Loop() {
			l.AllowN(ctx, "key", 1)
		}
	})
	b.Run("10kKeysParallel", func(b *testing.B) {
		l, ctx := newLimiter(b, ratelimit.PerSecond(huge)), b.Context()
		walk10k(b, func(key string) { l.AllowN(ctx, key, 1) })
	})
}

func keys(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = "key-" + strconv.Itoa(i)
	}
	return ks
}

// walk10k has each goroutine walk 10,000 keys from its own starting point
// with its own stride, as independent clients would: walkers with one
// stride fall into lockstep on the same keys and time the convoy, not the
// store.
func walk10k(b *testing.B, take func(key string)) {
	ks := keys(10_000)
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
