package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"os"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// No output is checked: the example needs a PostgreSQL server.
func ExampleNewLimiter() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("POSTGRES_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close() // the limiter never closes the pool

	// Creates the "ratelimit" table and its function if needed.
	limiter, err := pgstore.NewLimiter(ctx, pool, []ratelimit.Rate{ratelimit.PerSecond(2), ratelimit.PerHour(100)})
	if err != nil {
		log.Fatal(err)
	}
	defer limiter.Close()
	for range 3 {
		d, err := limiter.Allow(ctx, "user:42")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(d.Allowed, d.Remaining, d.Rate, d.RetryAfter)
	}
}

// No output is checked: the example needs a PostgreSQL server.
func ExampleStore_Migrate() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("POSTGRES_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// One table per set of rates: here an API's per-key limits.
	s, err := pgstore.New(pool, []ratelimit.Rate{ratelimit.PerMinute(60)}, pgstore.WithTable("api_limits"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	// Safe to run from every process at start-up.
	if err := s.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	d, err := s.Acquire(ctx, "api-key:abc", 5)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("allowed=%v remaining=%d\n", d.Allowed, d.Remaining)
}

// No output is checked: the example needs a PostgreSQL server.
func ExampleWithAlgorithm() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("POSTGRES_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// A million client IPs at 1000/hour: GCRA keeps one small row per IP
	// instead of one row per admitted request.
	s, err := pgstore.New(pool, []ratelimit.Rate{ratelimit.PerSecond(20), ratelimit.PerHour(1000)},
		pgstore.WithTable("ip_limits"), pgstore.WithAlgorithm(ratelimit.AlgorithmGCRA))
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		log.Fatal(err)
	}
	limiter, err := ratelimit.New(s) // the limiter owns the store
	if err != nil {
		s.Close()
		log.Fatal(err)
	}
	defer limiter.Close()
	d, err := limiter.Allow(ctx, "ip:192.0.2.7")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Allowed, d.Remaining, d.RetryAfter)
}
