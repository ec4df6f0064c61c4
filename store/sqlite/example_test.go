package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gorate/ratelimit"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

func Example() {
	// In-memory here; a file path makes the limits durable and shared by
	// every process that opens it.
	store, err := sqlitestore.Open(sqlitestore.Memory)
	if err != nil {
		panic(err)
	}
	defer store.Close()
	limiter, err := ratelimit.New(store, ratelimit.PerSecond(2), ratelimit.PerHour(100))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for range 3 {
		d, _ := limiter.Allow(ctx, "user:42")
		fmt.Println(d.Allowed, d.Remaining, d.Rate)
	}
	// Output:
	// true 1 2/s
	// true 0 2/s
	// false 0 2/s
}

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "sqlitestore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "limits.db")
	rates := ratelimit.Rates{ratelimit.PerHour(3)}
	ctx := context.Background()

	// A first run of the program takes 2 of the 3 units of the hour...
	s, err := sqlitestore.Open(path)
	if err != nil {
		panic(err)
	}
	s.Take(ctx, "nightly-job", rates, 2)
	s.Close()

	// ...and the next run, a new Store on the same file, sees them.
	s, err = sqlitestore.Open(path)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	for range 2 {
		d, _ := s.Take(ctx, "nightly-job", rates, 1)
		fmt.Printf("allowed=%v remaining=%d\n", d.Allowed, d.Remaining)
	}
	// Output:
	// allowed=true remaining=0
	// allowed=false remaining=0
}

func ExampleWithAlgorithm() {
	store, err := sqlitestore.Open(sqlitestore.Memory, sqlitestore.WithAlgorithm(ratelimit.GCRA))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	// 10 per second: a burst of 10, then one every 100ms.
	d, _ := store.Take(context.Background(), "client:7", ratelimit.Rates{ratelimit.PerSecond(10)}, 10)
	fmt.Println(d.Allowed, d.Remaining)
	d, _ = store.Take(context.Background(), "client:7", ratelimit.Rates{ratelimit.PerSecond(10)}, 1)
	fmt.Println(d.Allowed, d.RetryAfter > 0)
	// Output:
	// true 0
	// false true
}

func ExampleStore_Refund() {
	store, err := sqlitestore.Open(sqlitestore.Memory)
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ctx := context.Background()
	rates := ratelimit.Rates{ratelimit.PerMinute(3)}
	// An upload is admitted with an estimate of 3 units and turns out to
	// have used 1: the other 2 go back to the key.
	d, _ := store.Take(ctx, "uploads", rates, 3)
	fmt.Println(d.Allowed, d.Remaining)
	d, _ = store.Refund(ctx, "uploads", rates, d, 2)
	fmt.Println(d.Allowed, d.Remaining)
	// Output:
	// true 0
	// true 2
}
