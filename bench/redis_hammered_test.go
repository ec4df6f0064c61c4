package bench

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/go-redis/redis_rate/v10"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/denialcache"
	redisstore "github.com/gorate/ratelimit/store/redis"
)

// hammeredLimit is the limit of the hammered key: about a hundredth of the
// decisions per second redis_rate makes from 32 goroutines here (about
// 35,000), so that the key is asked for 100 times its limit.
const hammeredLimit = 350

// tally is a store that counts the calls reaching the store it wraps.
type tally struct {
	ratelimit.Store
	calls atomic.Int64
}

func (t *tally) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	t.calls.Add(1)
	return t.Store.Take(ctx, key, rates, n)
}

// BenchmarkRedisHammered32 times 32 goroutines taking from one key held to
// hammeredLimit a second, so that nearly every take is denied: ours behind
// a denial cache (package denialcache) under each algorithm, ours without
// it, and go-redis/redis_rate. Besides ns/op, ours report
// roundtrips/op, the share of decisions that reached Redis, and
// local-denials-%, the share of denials answered without a round trip
// (goal: at least 95%, and at least 20 times redis_rate's decisions per
// second).
func BenchmarkRedisHammered32(b *testing.B) {
	c := redisClient(b)
	rate := ratelimit.PerSecond(hammeredLimit)
	for _, tt := range []struct {
		name  string
		alg   ratelimit.Algorithm
		cache bool
	}{
		{"impl=ratelimit", ratelimit.SlidingWindowLog, true},
		{"impl=ratelimit-gcra", ratelimit.GCRA, true},
		{"impl=ratelimit-counter", ratelimit.SlidingWindowCounter, true},
		{"impl=ratelimit-nocache", ratelimit.SlidingWindowLog, false},
	} {
		b.Run(tt.name, func(b *testing.B) {
			inner := &tally{Store: redisStore(b, c, redisstore.WithAlgorithm(tt.alg))}
			var store ratelimit.Store = inner
			if tt.cache {
				var err error
				if store, err = denialcache.New(inner); err != nil {
					b.Fatal(err)
				}
			}
			l, err := ratelimit.New(store, rate)
			if err != nil {
				b.Fatal(err)
			}
			var denied atomic.Int64
			runHammered(b, func(ctx context.Context) error {
				d, err := l.Allow(ctx, "key")
				if err == nil && !d.Allowed {
					denied.Add(1)
				}
				return err
			})
			calls := inner.calls.Load()
			b.ReportMetric(float64(calls)/float64(b.N), "roundtrips/op")
			if n := denied.Load(); n > 0 {
				// Every round trip that did not admit was a denial from Redis.
				admitted := int64(b.N) - n
				b.ReportMetric(100*float64(n-(calls-admitted))/float64(n), "local-denials-%")
			}
		})
	}
	b.Run("impl=redis_rate", func(b *testing.B) {
		rr := redis_rate.NewLimiter(c)
		key := benchPrefix() + "key"
		runHammered(b, func(ctx context.Context) error {
			_, err := rr.Allow(ctx, key, redis_rate.PerSecond(hammeredLimit))
			return err
		})
	})
}

// runHammered runs take from 32 goroutines.
func runHammered(b *testing.B, take func(context.Context) error) {
	ctx := b.Context()
	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := take(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
