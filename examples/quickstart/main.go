// Command quickstart shows the limiter over the in-memory store: allowed and
// denied takes under two rates at once, a weight, a blocking wait, GCRA
// chosen with one option, and plans picked per key and changed at run time.
package main

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	// 3 per 200ms and 5 per second, enforced together, per key.
	rates, err := ratelimit.ParseRates("3/200ms, 5/s")
	if err != nil {
		return err
	}
	store, err := memorystore.New() // shared with the plans below
	if err != nil {
		return err
	}
	limiter, err := ratelimit.New(store, rates, ratelimit.WithBuffer(10*time.Millisecond))
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
		fmt.Printf("alice #%d: %s\n", i, d)
	}

	// Keys are limited separately; a weight takes several units at once.
	d, err := limiter.AllowN(ctx, "bob", 3)
	if err != nil {
		return err
	}
	fmt.Printf("bob, weight 3: %s\n", d)
	if d, err = limiter.AllowN(ctx, "bob", 6); err != nil {
		return err
	}
	if d.RetryAfter == ratelimit.Never {
		fmt.Printf("bob, weight 6: denied for good, more than %s can ever hold\n", d.Rate)
	}

	// A blocking take waits for the window to slide, bounded by the context.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := limiter.Wait(ctx, "alice"); err != nil {
		return err
	}
	fmt.Printf("alice waited %s, then was allowed\n", time.Since(start).Round(10*time.Millisecond))

	if err := gcra(ctx, rates); err != nil {
		return err
	}
	return plans(ctx, store)
}

// gcra runs the same rates under GCRA, the token bucket: a few numbers per
// key instead of a log, a burst of the limit, then one unit every
// interval/limit.
func gcra(ctx context.Context, rates ratelimit.Rates) error {
	store, err := memorystore.New(memorystore.WithAlgorithm(ratelimit.GCRA))
	if err != nil {
		return err
	}
	limiter, err := ratelimit.New(store, rates)
	if err != nil {
		return err
	}
	defer limiter.Close()
	for i := 1; i <= 4; i++ {
		d, err := limiter.Allow(ctx, "dave")
		if err != nil {
			return err
		}
		fmt.Printf("dave (GCRA) #%d: %s\n", i, d)
	}
	return nil
}

// plans gives each key the rates of its plan, looked up on every take, so
// that a key moved to another plan is judged by the new rates at once,
// against the units it already took.
func plans(ctx context.Context, store ratelimit.Store) error {
	free, pro := ratelimit.Rates{ratelimit.PerSecond(2)}, ratelimit.Rates{ratelimit.PerSecond(5)}
	var mu sync.Mutex
	plan := map[string]ratelimit.Rates{} // keys on no plan get the limiter's own rates
	limiter, err := ratelimit.New(store, free, ratelimit.WithPrefix("plans:"),
		ratelimit.WithRatesFor(func(_ context.Context, key string) (ratelimit.Rates, error) {
			mu.Lock()
			defer mu.Unlock()
			return plan[key], nil
		}))
	if err != nil {
		return err
	}
	defer limiter.Close()
	take := func(who string) error {
		d, err := limiter.Allow(ctx, "erin")
		if err == nil {
			fmt.Printf("erin (%s): %s\n", who, d)
		}
		return err
	}
	for range 3 {
		if err := take("free"); err != nil {
			return err
		}
	}
	mu.Lock()
	plan["erin"] = pro // an upgrade: 3 more this second
	mu.Unlock()
	return take("pro")
}
