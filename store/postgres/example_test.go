package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The examples' server and table (TestMain skips them when the server is
// unreachable, and drops the table).
const (
	exampleDSN   = "postgres://postgres@127.0.0.1:5432/test"
	exampleTable = "pgstore_example"
)

// One store serves every limiter: here 2 a minute per user. It runs against
// the server at 127.0.0.1:5432 (the package's tests skip it when there is
// none).
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, exampleDSN)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close() // the store never closes the pool

	// Creates the table and its functions if need be: safe to run from
	// every process at start-up.
	store, err := pgstore.New(ctx, pool, pgstore.WithTable(exampleTable))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	defer store.Reset(ctx, "user:42")
	limiter, err := ratelimit.New(store, ratelimit.PerMinute(2))
	if err != nil {
		log.Fatal(err)
	}
	for range 3 {
		d, err := limiter.Allow(ctx, "user:42")
		if err != nil {
			log.Fatal(err) // fail open or closed: your call
		}
		fmt.Println(d.Allowed, d.Remaining)
	}
	// Output:
	// true 1
	// true 0
	// false 0
}

// GCRA keeps one row of a few numbers per key whatever the traffic: a limit
// of 1000 an hour on a million clients costs a million small rows, not up
// to a billion log rows.
func ExampleWithAlgorithm() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, exampleDSN)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	store, err := pgstore.New(ctx, pool, pgstore.WithTable(exampleTable), pgstore.WithAlgorithm(ratelimit.GCRA))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	defer store.Reset(ctx, "203.0.113.7")
	rates, err := ratelimit.NewRates(ratelimit.PerSecond(10), ratelimit.PerHour(1000))
	if err != nil {
		log.Fatal(err)
	}
	d, err := store.Take(ctx, "203.0.113.7", rates, 4)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d)
	// Output:
	// allowed by 10/s: 6 left, reset in 400ms
}

// A test that must control time gives the store a fake clock: each
// statement is then given its reading instead of the server's.
func ExampleWithClock() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, exampleDSN)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	clock := core.NewFakeClock(time.Now().UnixMilli())
	store, err := pgstore.New(ctx, pool, pgstore.WithTable(exampleTable), pgstore.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	defer store.Reset(ctx, "job")
	rates := ratelimit.Rates{ratelimit.PerSecond(2)}
	for _, step := range []time.Duration{0, 300 * time.Millisecond, 300 * time.Millisecond, 401 * time.Millisecond} {
		clock.Advance(step)
		d, err := store.Take(ctx, "job", rates, 1)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(d)
	}
	// Output:
	// allowed by 2/s: 1 left, reset in 1.001s
	// allowed by 2/s: 0 left, reset in 1.001s
	// denied by 2/s: 0 left, retry in 401ms, reset in 701ms
	// allowed by 2/s: 0 left, reset in 1.001s
}

// A Decision names the take it reports, by its At (the server's time of
// the take), so that units of it can be given back: here a job reserved 5
// units, used 2, and returns the other 3.
func ExampleStore_Refund() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, exampleDSN)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	store, err := pgstore.New(ctx, pool, pgstore.WithTable(exampleTable))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	defer store.Reset(ctx, "job:9")
	rates := ratelimit.Rates{ratelimit.PerMinute(10)}
	d, err := store.Take(ctx, "job:9", rates, 5)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Allowed, d.Remaining)
	d, err = store.Refund(ctx, "job:9", rates, d, 3)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Allowed, d.Remaining)
	// Output:
	// true 5
	// true 8
}
