package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
	ululeredis "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/gorate/ratelimit"
)

// redisClient returns a client of the server at REDIS_URL (default
// redis://127.0.0.1:6379/0) with a pool large enough for 32 goroutines, or
// skips the benchmark when the server is unreachable.
func redisClient(b *testing.B) *redis.Client {
	b.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		b.Skipf("REDIS_URL %q: %v", url, err)
	}
	opt.PoolSize = 64
	c := redis.NewClient(opt)
	b.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		b.Skipf("redis at %s is unreachable: %v", url, err)
	}
	return c
}

// benchPrefix returns a key prefix of its own for one benchmark; its keys
// expire within seconds.
func benchPrefix() string {
	var p [6]byte
	rand.Read(p[:])
	return "ratelimitbench:" + hex.EncodeToString(p[:]) + ":"
}

// redisImpls returns one take per implementation over c, each admitting
// everything (a rate of huge per second), each under a key of its own.
func redisImpls(b *testing.B, c *redis.Client) []redisImpl {
	b.Helper()
	ours := redisLimiter(b, c, ratelimit.SlidingWindowLog, ratelimit.PerSecond(huge))
	gcra := redisLimiter(b, c, ratelimit.GCRA, ratelimit.PerSecond(huge))
	counter := redisLimiter(b, c, ratelimit.SlidingWindowCounter, ratelimit.PerSecond(huge))
	unbatched := redisLimiterUnbatched(b, c, ratelimit.PerSecond(huge))
	rr := redis_rate.NewLimiter(c)
	rrKey := benchPrefix() + "key"
	us, err := ululeredis.NewStoreWithOptions(c, limiter.StoreOptions{Prefix: benchPrefix(), MaxRetry: 3})
	if err != nil {
		b.Fatal(err)
	}
	ul := limiter.New(us, limiter.Rate{Period: time.Second, Limit: huge})
	return []redisImpl{
		{"impl=ratelimit", func(ctx context.Context) error { _, err := ours.AllowN(ctx, "key", 1); return err }},
		{"impl=ratelimit-gcra", func(ctx context.Context) error { _, err := gcra.AllowN(ctx, "key", 1); return err }},
		{"impl=ratelimit-counter", func(ctx context.Context) error { _, err := counter.AllowN(ctx, "key", 1); return err }},
		{"impl=ratelimit-unbatched", func(ctx context.Context) error { _, err := unbatched.AllowN(ctx, "key", 1); return err }},
		{"impl=redis_rate", func(ctx context.Context) error {
			_, err := rr.Allow(ctx, rrKey, redis_rate.PerSecond(huge))
			return err
		}},
		{"impl=ulule", func(ctx context.Context) error { _, err := ul.Get(ctx, "key"); return err }},
		{"impl=ping", func(ctx context.Context) error { return c.Ping(ctx).Err() }},
	}
}

// BenchmarkRedisSerial times one take after another over one connection's
// worth of round trips: each implementation against a bare PING, the floor
// of any one-round-trip decision (goal for ours: at most 1.2× PING).
func BenchmarkRedisSerial(b *testing.B) {
	c := redisClient(b)
	runSerial(b, redisImpls(b, c))
}

// BenchmarkRedisParallel32 times takes from 32 goroutines on one key:
// throughput against go-redis/redis_rate and ulule/limiter's redis store
// (goal for ours: at least 1.5× the throughput of the faster of them).
func BenchmarkRedisParallel32(b *testing.B) {
	c := redisClient(b)
	runParallel32(b, redisImpls(b, c))
}

// redisImpl is one implementation's take, for the Redis benchmarks.
type redisImpl struct {
	name string
	fn   func(context.Context) error
}

// runSerial times one take after another for each of impls.
func runSerial(b *testing.B, impls []redisImpl) {
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if err := impl.fn(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// runParallel32 times takes from 32 goroutines for each of impls.
func runParallel32(b *testing.B, impls []redisImpl) {
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			ctx := b.Context()
			b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := impl.fn(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
