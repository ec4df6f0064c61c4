//go:build linux || darwin

package mpstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	mpstore "github.com/gorate/ratelimit/store/multiprocess"
)

func ExampleNewLimiter() {
	dir, err := os.MkdirTemp("", "mpstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "limits") // in production: one fixed path, e.g. under /dev/shm

	// Every process that opens the path shares the limit.
	limiter, err := mpstore.NewLimiter(path, []ratelimit.Rate{ratelimit.PerSecond(2), ratelimit.PerMinute(10)})
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
	dir, err := os.MkdirTemp("", "mpstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "limits")
	rates := []ratelimit.Rate{ratelimit.PerMinute(3)}

	// Two stores on one file, as two worker processes would open it.
	a, err := mpstore.Open(path, rates)
	if err != nil {
		panic(err)
	}
	defer a.Close()
	b, err := mpstore.Open(path, rates)
	if err != nil {
		panic(err)
	}
	defer b.Close()
	ctx := context.Background()
	for i, s := range []*mpstore.Store{a, b, a, b} {
		d, _ := s.Acquire(ctx, "nightly-report", 1)
		fmt.Printf("worker %d: allowed=%v remaining=%d\n", i%2, d.Allowed, d.Remaining)
	}
	// Output:
	// worker 0: allowed=true remaining=2
	// worker 1: allowed=true remaining=1
	// worker 0: allowed=true remaining=0
	// worker 1: allowed=false remaining=0
}
