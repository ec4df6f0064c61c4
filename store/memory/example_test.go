package memorystore_test

import (
	"context"
	"fmt"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func ExampleNewLimiter() {
	limiter, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.PerSecond(2), ratelimit.PerMinute(10)})
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

func ExampleNewBucket() {
	// A fake clock makes the sliding window visible: with 3/s and units at 0,
	// 300 and 600ms, the window still holds the first unit at 1000ms.
	clock := ratelimit.NewFakeClock(0)
	b, err := memorystore.NewBucket([]ratelimit.Rate{ratelimit.PerSecond(3)}, memorystore.WithClock(clock))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, at := range []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond, time.Second, 1001 * time.Millisecond} {
		clock.Set(at.Milliseconds())
		d, _ := b.PutNow(ctx, "job", 1)
		fmt.Printf("at %v: allowed=%v retry-after=%v\n", at, d.Allowed, d.RetryAfter)
	}
	// Output:
	// at 0s: allowed=true retry-after=0s
	// at 300ms: allowed=true retry-after=0s
	// at 600ms: allowed=true retry-after=0s
	// at 1s: allowed=false retry-after=1ms
	// at 1.001s: allowed=true retry-after=0s
}
