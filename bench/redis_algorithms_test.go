package bench

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/gorate/ratelimit"
	redisstore "github.com/gorate/ratelimit/store/redis"
)

// redisLimiter returns a limiter enforcing rates over a Redis store of alg
// under a prefix of its own, whose keys are deleted at the benchmark's end.
func redisLimiter(b *testing.B, c *redis.Client, alg ratelimit.Algorithm, rates ...ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	return redisLimiterWith(b, c, []redisstore.Option{redisstore.WithAlgorithm(alg)}, rates...)
}

// redisLimiterUnbatched is redisLimiter of the log with batching off
// (redisstore.WithMaxBatch(1)): each take its own round trip at once, as
// before batching, for scale.
func redisLimiterUnbatched(b *testing.B, c *redis.Client, rates ...ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	return redisLimiterWith(b, c, []redisstore.Option{redisstore.WithMaxBatch(1)}, rates...)
}

// redisLimiterWith is redisLimiter with the store's options opts.
func redisLimiterWith(b *testing.B, c *redis.Client, opts []redisstore.Option, rates ...ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	l, err := ratelimit.New(redisStore(b, c, opts...), ratelimit.Rates(rates))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// redisStore returns a Redis store configured by opts under a prefix of its
// own, closed and its keys deleted at the benchmark's end.
func redisStore(b *testing.B, c *redis.Client, opts ...redisstore.Option) *redisstore.Store {
	b.Helper()
	prefix := benchPrefix()
	s, err := redisstore.New(c, append([]redisstore.Option{redisstore.WithPrefix(prefix)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return s
}

// threeRates admit every take of the benchmarks (at most 2^29 a second)
// while each holds a bound: a second, a minute and an hour, limit ×
// interval within 2^53 as the constant-state algorithms require.
var threeRates = []ratelimit.Rate{
	ratelimit.PerSecond(1 << 29),
	ratelimit.PerMinute(1 << 30),
	ratelimit.PerHour(1 << 31),
}

// redisThreeRateImpls returns one take per algorithm of ours over c,
// each holding one key to the three rates, and go-redis/redis_rate holding
// its key to one rate (it supports no more), for scale.
func redisThreeRateImpls(b *testing.B, c *redis.Client) []redisImpl {
	b.Helper()
	log := redisLimiter(b, c, ratelimit.SlidingWindowLog, threeRates...)
	gcra := redisLimiter(b, c, ratelimit.GCRA, threeRates...)
	counter := redisLimiter(b, c, ratelimit.SlidingWindowCounter, threeRates...)
	rr := redis_rate.NewLimiter(c)
	rrKey := benchPrefix() + "key"
	return []redisImpl{
		{"impl=ratelimit", func(ctx context.Context) error { _, err := log.AllowN(ctx, "key", 1); return err }},
		{"impl=ratelimit-gcra", func(ctx context.Context) error { _, err := gcra.AllowN(ctx, "key", 1); return err }},
		{"impl=ratelimit-counter", func(ctx context.Context) error { _, err := counter.AllowN(ctx, "key", 1); return err }},
		{"impl=redis_rate", func(ctx context.Context) error {
			_, err := rr.Allow(ctx, rrKey, redis_rate.PerSecond(huge))
			return err
		}},
	}
}

// BenchmarkRedisThreeRatesSerial times one take after another against
// three rates per key (redis_rate: one).
func BenchmarkRedisThreeRatesSerial(b *testing.B) {
	runSerial(b, redisThreeRateImpls(b, redisClient(b)))
}

// BenchmarkRedisThreeRatesParallel32 times takes from 32 goroutines on
// one key against three rates per key (redis_rate: one).
func BenchmarkRedisThreeRatesParallel32(b *testing.B) {
	runParallel32(b, redisThreeRateImpls(b, redisClient(b)))
}
