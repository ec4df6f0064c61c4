package bench

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
	ululeredis "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/gorate/ratelimit"
)

// manyKeys is how many keys BenchmarkRedisKeys10kParallel32 spreads its
// takes over.
const manyKeys = 10_000

// keyedImpl is one implementation's take of a key, for the many-keys
// benchmark.
type keyedImpl struct {
	name string
	fn   func(ctx context.Context, key int) error
}

// redisKeyedImpls returns one take per implementation over c, as
// redisImpls does, each taking one of manyKeys keys (under a prefix of its
// own, its Redis keys built beforehand).
func redisKeyedImpls(b *testing.B, c *redis.Client) []keyedImpl {
	b.Helper()
	keys := make([]string, manyKeys)
	for i := range keys {
		keys[i] = "key" + strconv.Itoa(i)
	}
	prefixed := func(prefix string) []string {
		p := make([]string, len(keys))
		for i, k := range keys {
			p[i] = prefix + k
		}
		return p
	}
	ours := redisLimiter(b, c, ratelimit.SlidingWindowLog, ratelimit.PerSecond(huge))
	gcra := redisLimiter(b, c, ratelimit.GCRA, ratelimit.PerSecond(huge))
	counter := redisLimiter(b, c, ratelimit.SlidingWindowCounter, ratelimit.PerSecond(huge))
	unbatched := redisLimiterUnbatched(b, c, ratelimit.PerSecond(huge))
	rr := redis_rate.NewLimiter(c)
	rrKeys := prefixed(benchPrefix())
	us, err := ululeredis.NewStoreWithOptions(c, limiter.StoreOptions{Prefix: benchPrefix(), MaxRetry: 3})
	if err != nil {
		b.Fatal(err)
	}
	ul := limiter.New(us, limiter.Rate{Period: time.Second, Limit: huge})
	return []keyedImpl{
		{"impl=ratelimit", func(ctx context.Context, k int) error { _, err := ours.AllowN(ctx, keys[k], 1); return err }},
		{"impl=ratelimit-gcra", func(ctx context.Context, k int) error { _, err := gcra.AllowN(ctx, keys[k], 1); return err }},
		{"impl=ratelimit-counter", func(ctx context.Context, k int) error { _, err := counter.AllowN(ctx, keys[k], 1); return err }},
		{"impl=ratelimit-unbatched", func(ctx context.Context, k int) error { _, err := unbatched.AllowN(ctx, keys[k], 1); return err }},
		{"impl=redis_rate", func(ctx context.Context, k int) error {
			_, err := rr.Allow(ctx, rrKeys[k], redis_rate.PerSecond(huge))
			return err
		}},
		{"impl=ulule", func(ctx context.Context, k int) error { _, err := ul.Get(ctx, keys[k]); return err }},
	}
}

// BenchmarkRedisKeys10kParallel32 times takes from 32 goroutines, each of
// a key drawn at random from 10,000, against go-redis/redis_rate and
// ulule/limiter's redis store.
func BenchmarkRedisKeys10kParallel32(b *testing.B) {
	c := redisClient(b)
	for _, impl := range redisKeyedImpls(b, c) {
		b.Run(impl.name, func(b *testing.B) {
			ctx := b.Context()
			b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := impl.fn(ctx, rand.IntN(manyKeys)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
