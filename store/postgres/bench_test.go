package pgstore_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchConns is the pool size of the parallel benchmark.
const benchConns = 16

// benchPool connects to dsn() with conns connections, all opened up front,
// or skips the benchmark when the server cannot be reached.
func benchPool(b *testing.B, conns int32) *pgxpool.Pool {
	b.Helper()
	cfg, err := pgxpool.ParseConfig(dsn())
	if err != nil {
		b.Skip(err)
	}
	cfg.MaxConns, cfg.MinConns = conns, conns
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		unreachable(b, err)
	}
	b.Cleanup(pool.Close)
	return pool
}

// benchLimiter returns a limiter enforcing rate over a Store on a fresh
// table of pool.
func benchLimiter(b *testing.B, pool *pgxpool.Pool, rate ratelimit.Rate, opts ...pgstore.Option) *ratelimit.Limiter {
	b.Helper()
	s, _ := newStore(b, pool, opts...)
	l, err := ratelimit.New(s, rate)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// BenchmarkPostgresSerial times one take at a time, every one admitted (so
// every one inserts a row into the log, or under GCRA updates the key's
// state row), against the floor of any server store: a round trip of SELECT
// 1 through the same pool. Compare with benchstat -col /impl.
// Every variant sends each take through the Store's batcher (the default),
// as a batch of one, but impl=ratelimit-unbatched (WithMaxBatch(1)), which
// sends it alone.
func BenchmarkPostgresSerial(b *testing.B) {
	gcra, unbatched := pgstore.WithAlgorithm(ratelimit.GCRA), pgstore.WithMaxBatch(1)
	for _, c := range []struct {
		name string
		opts []pgstore.Option
		rate ratelimit.Rate
	}{
		{"impl=ratelimit", nil, ratelimit.PerSecond(1 << 40)},
		{"impl=ratelimit-unbatched", []pgstore.Option{unbatched}, ratelimit.PerSecond(1 << 40)},
		{"impl=ratelimit-async", []pgstore.Option{pgstore.WithAsyncCommit()}, ratelimit.PerSecond(1 << 40)},
		// GCRA needs limit × interval (ms) within 2^53: 2^30 a second is.
		{"impl=ratelimit-gcra", []pgstore.Option{gcra}, ratelimit.PerSecond(1 << 30)},
		{"impl=ratelimit-gcra-async", []pgstore.Option{gcra, pgstore.WithAsyncCommit()}, ratelimit.PerSecond(1 << 30)},
	} {
		b.Run(c.name, func(b *testing.B) {
			l := benchLimiter(b, benchPool(b, 1), c.rate, c.opts...)
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.AllowN(ctx, "key", 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("impl=select1", func(b *testing.B) {
		pool := benchPool(b, 1)
		ctx := b.Context()
		var one int
		b.ReportAllocs()
		for b.Loop() {
			if err := pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTakeBlocking times one TakeBlocking after another of a key its
// rates admit, as BenchmarkPostgresSerial times Take (compare the two):
// Take's round trip, with the key's lock taken first and its block row
// read.
func BenchmarkTakeBlocking(b *testing.B) {
	block := ratelimit.Block{For: time.Minute}
	for _, c := range []struct {
		name string
		alg  ratelimit.Algorithm
		rate ratelimit.Rate
	}{
		{"impl=ratelimit", ratelimit.SlidingWindowLog, ratelimit.PerSecond(1 << 40)},
		{"impl=ratelimit-gcra", ratelimit.GCRA, ratelimit.PerSecond(1 << 30)},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, _ := newStore(b, benchPool(b, 1), pgstore.WithAlgorithm(c.alg))
			rates := ratelimit.Rates{c.rate}
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.TakeBlocking(ctx, "key", rates, 1, block); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPostgresParallel runs takes from 16 goroutines over a pool of 16
// connections, on 1000 keys (takes on different keys never wait for each
// other) and on one key (they take turns), and reports takes per second.
// The default variants batch concurrent takes into shared statements; the
// -unbatched ones send every take alone (WithMaxBatch(1)).
func BenchmarkPostgresParallel(b *testing.B) {
	gcra, unbatched := pgstore.WithAlgorithm(ratelimit.GCRA), pgstore.WithMaxBatch(1)
	for _, c := range []struct {
		impl string
		opts []pgstore.Option
		rate ratelimit.Rate
	}{
		{"impl=ratelimit", nil, ratelimit.PerSecond(1 << 40)},
		{"impl=ratelimit-gcra", []pgstore.Option{gcra}, ratelimit.PerSecond(1 << 30)},
		{"impl=ratelimit-unbatched", []pgstore.Option{unbatched}, ratelimit.PerSecond(1 << 40)},
		{"impl=ratelimit-gcra-unbatched", []pgstore.Option{gcra, unbatched}, ratelimit.PerSecond(1 << 30)},
	} {
		for _, keys := range []int{1000, 1} {
			b.Run(c.impl+"/keys="+strconv.Itoa(keys), func(b *testing.B) {
				benchParallel(b, benchLimiter(b, benchPool(b, benchConns), c.rate, c.opts...), keys)
			})
		}
	}
}

// benchParallel runs l's takes from benchConns goroutines over keys keys
// and reports takes per second (as acquires/s, the metric of the bench
// module's benchmark of the same name).
func benchParallel(b *testing.B, l *ratelimit.Limiter, keys int) {
	names := make([]string, keys)
	for i := range names {
		names[i] = "key-" + strconv.Itoa(i)
	}
	ctx := b.Context()
	var next atomic.Int64
	b.SetParallelism((benchConns + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919))
		for pb.Next() {
			i++
			if _, err := l.AllowN(ctx, names[i%keys], 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "acquires/s")
}
