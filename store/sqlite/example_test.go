package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

func ExampleNewLimiter() {
	// In-memory here; a file path (or "" for the default file) makes the
	// limit durable and shared by every process that opens it.
	limiter, err := sqlitestore.NewLimiter(sqlitestore.Memory, []ratelimit.Rate{ratelimit.PerSecond(2), ratelimit.PerHour(100)})
	if err != nil {
		panic(err)
	}
	defer limiter.Close()
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
	rates := []ratelimit.Rate{ratelimit.PerHour(3)}
	ctx := context.Background()

	// A first run of the program takes 2 of the 3 units of the hour...
	s, err := sqlitestore.Open(path, rates)
	if err != nil {
		panic(err)
	}
	s.Acquire(ctx, "nightly-job", 2)
	s.Close()

	// ...and the next run, a new Store on the same file, sees them.
	s, err = sqlitestore.Open(path, rates)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	for range 2 {
		d, _ := s.Acquire(ctx, "nightly-job", 1)
		fmt.Printf("allowed=%v remaining=%d\n", d.Allowed, d.Remaining)
	}
	// Output:
	// allowed=true remaining=0
	// allowed=false remaining=0
}
