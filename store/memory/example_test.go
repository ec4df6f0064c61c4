package memorystore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func Example() {
	store, _ := memorystore.New()
	lim, _ := ratelimit.New(store, ratelimit.PerSecond(2), ratelimit.PerMinute(10))
	ctx := context.Background()
	for range 3 {
		d, _ := lim.Allow(ctx, "user:42")
		fmt.Println(d.Allowed, d.Remaining, d.Rate)
	}
	// Output:
	// true 1 2/s
	// true 0 2/s
	// false 0 2/s
}

// One store serves any number of limiters, each with its own rates.
func Example_plans() {
	store, _ := memorystore.New()
	free, _ := ratelimit.New(store, ratelimit.PerMinute(1), ratelimit.WithPrefix("free"))
	pro, _ := ratelimit.New(store, ratelimit.PerMinute(100), ratelimit.WithPrefix("pro"))
	ctx := context.Background()
	for range 2 {
		f, _ := free.Allow(ctx, "user:42")
		p, _ := pro.Allow(ctx, "user:42")
		fmt.Println(f.Allowed, p.Allowed, p.Remaining)
	}
	// Output:
	// true true 99
	// false true 98
}

func ExampleStore_Take() {
	// A fake clock makes the sliding window visible: with 3/s and units at 0,
	// 300 and 600ms, the window still holds the first unit at 1000ms.
	clock := core.NewFakeClock(0)
	store, _ := memorystore.New(memorystore.WithClock(clock))
	rates, _ := ratelimit.NewRates(ratelimit.PerSecond(3))
	ctx := context.Background()
	for _, at := range []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond, time.Second, 1001 * time.Millisecond} {
		clock.Set(at.Milliseconds())
		d, _ := store.Take(ctx, "job", rates, 1)
		fmt.Printf("at %v: %v\n", at, d)
	}
	// Output:
	// at 0s: allowed by 3/s: 2 left, reset in 1.001s
	// at 300ms: allowed by 3/s: 1 left, reset in 1.001s
	// at 600ms: allowed by 3/s: 0 left, reset in 1.001s
	// at 1s: denied by 3/s: 0 left, retry in 1ms, reset in 601ms
	// at 1.001s: allowed by 3/s: 0 left, reset in 1.001s
}

func ExampleStore_Check() {
	store, _ := memorystore.New(memorystore.WithAlgorithm(ratelimit.GCRA))
	rates, _ := ratelimit.NewRates(ratelimit.PerHour(5))
	ctx := context.Background()
	store.Take(ctx, "user:42", rates, 3)
	d, _ := store.Check(ctx, "user:42", rates, 3)
	fmt.Println(d.Allowed, d.Remaining)
	d, _ = store.Check(ctx, "user:42", rates, 2)
	fmt.Println(d.Allowed, d.Remaining)
	// Output:
	// false 2
	// true 0
}
