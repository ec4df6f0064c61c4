// Command quickstart shows the limiter over the in-memory store: allowed and
// denied acquires, a multi-rate limit, a weight, a blocking wait, and a
// constant-state algorithm (GCRA) chosen with one option.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	// 3 per 200ms and 5 per second, enforced together, per name.
	rates, err := ratelimit.ParseRates("3/200ms, 5/s")
	if err != nil {
		return err
	}
	limiter, err := memorystore.NewLimiter(rates, ratelimit.WithBuffer(10*time.Millisecond))
	if err != nil {
		return err
	}
	defer limiter.Close()

	fmt.Println("limits:", rates)
	for i := 1; i <= 4; i++ {
		d, err := limiter.Allow(ctx, "alice")
		if err != nil {
			return err
		}
		if d.Allowed {
			fmt.Printf("alice #%d: allowed, %d left under %s\n", i, d.Remaining, d.Rate)
		} else {
			fmt.Printf("alice #%d: denied by %s, retry in %s\n", i, d.Rate, d.RetryAfter)
		}
	}

	// Names are limited separately; a weight takes several units at once.
	d, err := limiter.AllowN(ctx, "bob", 3)
	if err != nil {
		return err
	}
	fmt.Printf("bob, weight 3: allowed=%v, %d left\n", d.Allowed, d.Remaining)
	d, err = limiter.AllowN(ctx, "bob", 6)
	if err != nil {
		return err
	}
	if d.RetryAfter == ratelimit.Never {
		fmt.Printf("bob, weight 6: denied for good, more than %s can ever hold\n", d.Rate)
	}

	// A blocking acquire waits for the window to slide, bounded by the context.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := limiter.Wait(ctx, "alice"); err != nil {
		return err
	}
	fmt.Printf("alice waited %s, then was allowed\n", time.Since(start).Round(10*time.Millisecond))

	// A wait that cannot fit the deadline fails at once instead of sleeping.
	short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancelShort()
	for range 3 {
		limiter.Allow(ctx, "carol")
	}
	_, err = limiter.Wait(short, "carol")
	fmt.Println("carol with a 10ms deadline:", err)
	return gcra(ctx, rates)
}

// gcra runs the same rates under GCRA, the token bucket: a few numbers per
// name instead of a log, a burst of the limit, then one unit every
// interval/limit.
func gcra(ctx context.Context, rates ratelimit.Rates) error {
	store, err := memorystore.New(rates, memorystore.WithAlgorithm(ratelimit.AlgorithmGCRA))
	if err != nil {
		return err
	}
	limiter, err := ratelimit.New(store)
	if err != nil {
		return err
	}
	defer limiter.Close()
	for i := 1; i <= 4; i++ {
		d, err := limiter.Allow(ctx, "dave")
		if err != nil {
			return err
		}
		fmt.Printf("dave (GCRA) #%d: allowed=%v, %d left, retry in %s\n", i, d.Allowed, d.Remaining, d.RetryAfter)
	}
	return nil
}
