//go:build linux || darwin

package mpstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gorate/ratelimit"
	mpstore "github.com/gorate/ratelimit/store/multiprocess"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "mpstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "limits") // in production: one fixed path, e.g. under /dev/shm

	// Two stores on one file, as two worker processes would open it, each
	// with its limiter: the limit holds across both.
	var limiters []*ratelimit.Limiter
	for range 2 {
		store, err := mpstore.Open(path)
		if err != nil {
			panic(err)
		}
		defer store.Close()
		limiter, err := ratelimit.New(store, ratelimit.PerMinute(3))
		if err != nil {
			panic(err)
		}
		limiters = append(limiters, limiter)
	}
	ctx := context.Background()
	for i := range 4 {
		d, _ := limiters[i%2].Allow(ctx, "nightly-report")
		fmt.Printf("worker %d: allowed=%v remaining=%d\n", i%2, d.Allowed, d.Remaining)
	}
	// Output:
	// worker 0: allowed=true remaining=2
	// worker 1: allowed=true remaining=1
	// worker 0: allowed=true remaining=0
	// worker 1: allowed=false remaining=0
}

func ExampleWithAlgorithm() {
	dir, err := os.MkdirTemp("", "mpstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// GCRA keeps a few numbers per key and rate instead of a log: the file
	// holds large limits in small slots.
	store, err := mpstore.Open(filepath.Join(dir, "limits"), mpstore.WithAlgorithm(ratelimit.GCRA))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ctx := context.Background()
	rates := ratelimit.Rates{ratelimit.PerDay(100_000)}
	d, _ := store.Take(ctx, "tenant:7", rates, 40_000)
	fmt.Println(d.Allowed, d.Remaining)
	d, _ = store.Take(ctx, "tenant:7", rates, 70_000)
	fmt.Println(d.Allowed, d.Remaining)
	// Output:
	// true 60000
	// false 60000
}

func ExampleStore_Refund() {
	dir, err := os.MkdirTemp("", "mpstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	store, err := mpstore.Open(filepath.Join(dir, "limits"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ctx := context.Background()
	rates := ratelimit.Rates{ratelimit.PerMinute(3)}
	// A job is admitted with an estimate of 3 units and turns out to have
	// used 1: the other 2 go back to the key, for every process.
	d, _ := store.Take(ctx, "reports", rates, 3)
	fmt.Println(d.Allowed, d.Remaining)
	d, _ = store.Refund(ctx, "reports", rates, d, 2)
	fmt.Println(d.Allowed, d.Remaining)
	// Output:
	// true 0
	// true 2
}
