// Command postgres shows a limit shared by every process that uses one
// PostgreSQL table: each run asks for 2 units, then 1, under one key held
// to 5 per minute, each decided by the server in one round trip, so runs on
// any host see each other's units. From the repository root, run it a few
// times within a minute, or several at once:
//
//	go run ./examples/postgres -reset   # takes 2 (3 of 5 left), then 1 (2 left)
//	go run ./examples/postgres          # takes 2 (0 left), then is denied 1 with a retry-after
//	go run ./examples/postgres          # is denied both: the first run's units count for a minute
//
// It connects to POSTGRES_DSN (default: the local test database; -dsn
// overrides both) and keeps its rows in the table gorate_example, which it
// creates if needed; -reset removes the key's units first. When the server
// cannot be reached it says so and exits with status 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/gorate/ratelimit"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	dsn := os.Getenv("POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	flag.StringVar(&dsn, "dsn", dsn, "PostgreSQL connection `string`")
	reset := flag.Bool("reset", false, "remove the key's units first")
	flag.Parse()
	if err := run(context.Background(), dsn, *reset); err != nil {
		fmt.Fprintln(os.Stderr, "postgres example:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn string, reset bool) error {
	pool, err := connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("PostgreSQL at %s is not reachable (set POSTGRES_DSN or -dsn): %w", dsn, err)
	}
	defer pool.Close() // the store never closes the pool

	// Creates the tables and functions if needed; safe in every process.
	store, err := pgstore.New(ctx, pool, pgstore.WithTable("gorate_example"))
	if err != nil {
		return err
	}
	defer store.Close() // a limiter never closes its store
	limiter, err := ratelimit.New(store, ratelimit.PerMinute(5))
	if err != nil {
		return err
	}
	defer limiter.Close()

	const key = "nightly-report"
	if reset {
		if err := limiter.Reset(ctx, key); err != nil {
			return err
		}
	}
	for _, weight := range []int64{2, 1} {
		d, err := limiter.AllowN(ctx, key, weight)
		if err != nil {
			return err
		}
		if d.Allowed {
			fmt.Printf("took %d: %d of %s left, window empty again in %s\n", weight, d.Remaining, d.Rate, d.ResetAfter)
		} else {
			fmt.Printf("denied %d under %s: retry in %s\n", weight, d.Rate, d.RetryAfter.Round(time.Millisecond))
		}
	}
	return nil
}

// connect opens a pool on dsn and checks, within 5s, that the server answers.
func connect(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}
