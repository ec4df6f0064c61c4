package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gorate/ratelimit"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// pgConns is the pool size of the parallel Postgres benchmark.
const pgConns = 16

// pgPool connects to POSTGRES_DSN (default: the local test database) with
// room for conns connections, or skips the benchmark when the server cannot
// be reached: a benchmark never fails for want of a server.
func pgPool(b *testing.B, conns int32) *pgxpool.Pool {
	b.Helper()
	dsn := os.Getenv("POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		b.Skipf("POSTGRES_DSN %q: %v", dsn, err)
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
		b.Skipf("PostgreSQL at %s unreachable: %v", dsn, err)
	}
	b.Cleanup(pool.Close)
	return pool
}

// pgLimiter returns a limiter enforcing rates over a Store on fresh tables
// of pool, dropped when the benchmark ends.
func pgLimiter(b *testing.B, pool *pgxpool.Pool, opts []pgstore.Option, rates ...ratelimit.Rate) *ratelimit.Limiter {
	b.Helper()
	var r [6]byte
	rand.Read(r[:])
	table := "rlbench_" + hex.EncodeToString(r[:])
	b.Cleanup(func() { dropPostgres(b, pool, table) })
	s, err := pgstore.New(b.Context(), pool, append(opts, pgstore.WithTable(table))...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	l, err := ratelimit.New(s, ratelimit.Rates(rates))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// dropPostgres drops what a Store on table made: its functions (every one
// named after the table, whatever the version) and its tables.
func dropPostgres(b *testing.B, pool *pgxpool.Pool, table string) {
	_, err := pool.Exec(context.Background(), `DO $$ DECLARE f regprocedure; BEGIN
		FOR f IN SELECT oid::regprocedure FROM pg_proc WHERE proname LIKE '`+table+`\_%' LOOP
			EXECUTE 'DROP FUNCTION ' || f;
		END LOOP;
	END $$; DROP TABLE IF EXISTS "`+table+`", "`+table+`_state", "`+table+`_block"`)
	if err != nil {
		b.Errorf("dropping %s: %v", table, err)
	}
}

// BenchmarkPostgresSerial times one take at a time (every one admitted,
// so every one inserts a row into the log, or under GCRA updates the key's
// state row) against the floor of any server store: a round trip of SELECT
// 1 through the same pool. Compare with benchstat -col /impl. Every
// variant sends its take through the Store's batcher (the default) but
// -unbatched (WithMaxBatch(1)), which sends it alone.
func BenchmarkPostgresSerial(b *testing.B) {
	gcra := pgstore.WithAlgorithm(ratelimit.GCRA)
	for _, c := range []struct {
		name string
		opts []pgstore.Option
		rate ratelimit.Rate
	}{
		{"impl=ratelimit", nil, ratelimit.PerSecond(huge)},
		{"impl=ratelimit-unbatched", []pgstore.Option{pgstore.WithMaxBatch(1)}, ratelimit.PerSecond(huge)},
		{"impl=ratelimit-async", []pgstore.Option{pgstore.WithAsyncCommit()}, ratelimit.PerSecond(huge)},
		// GCRA needs limit × interval (ms) within 2^53: 2^30 a second is.
		{"impl=ratelimit-gcra", []pgstore.Option{gcra}, ratelimit.PerSecond(1 << 30)},
		{"impl=ratelimit-gcra-async", []pgstore.Option{gcra, pgstore.WithAsyncCommit()}, ratelimit.PerSecond(1 << 30)},
	} {
		b.Run(c.name, func(b *testing.B) {
			l := pgLimiter(b, pgPool(b, 1), c.opts, c.rate)
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
		pool := pgPool(b, 1)
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

// BenchmarkPostgresParallel runs takes from 16 goroutines over a pool of
// 16 connections, on 1000 keys (takes on different keys never wait for each
// other) and on one key (they take turns), and reports takes per second.
// The default variants batch concurrent takes into shared statements; the
// -unbatched ones send every take alone (WithMaxBatch(1)).
func BenchmarkPostgresParallel(b *testing.B) {
	gcra, unbatched := pgstore.WithAlgorithm(ratelimit.GCRA), pgstore.WithMaxBatch(1)
	for _, c := range []struct {
		impl string
		opts []pgstore.Option
	}{
		{"impl=ratelimit", nil},
		{"impl=ratelimit-gcra", []pgstore.Option{gcra}},
		{"impl=ratelimit-unbatched", []pgstore.Option{unbatched}},
		{"impl=ratelimit-gcra-unbatched", []pgstore.Option{gcra, unbatched}},
	} {
		for _, keys := range []int{1000, 1} {
			b.Run(c.impl+"/keys="+strconv.Itoa(keys), func(b *testing.B) {
				benchPostgresParallel(b, pgLimiter(b, pgPool(b, pgConns), c.opts, ratelimit.PerSecond(huge)), keys)
			})
		}
	}
}

// benchPostgresParallel runs l's takes from pgConns goroutines over n keys
// and reports takes per second.
func benchPostgresParallel(b *testing.B, l *ratelimit.Limiter, n int) {
	ks := keys(n)
	ctx := b.Context()
	var next atomic.Int64
	b.SetParallelism((pgConns + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919))
		for pb.Next() {
			i++
			if _, err := l.AllowN(ctx, ks[i%n], 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "takes/s")
}
