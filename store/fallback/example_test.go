package fallback_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/fallback"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func Example() {
	// In production the primary is a shared store: redisstore.New(rdb),
	// pgstore.New(ctx, pool)…, shared here by 2 processes.
	primary, _ := memorystore.New()
	store, _ := fallback.New(primary, 2)
	defer store.Close()
	lim, _ := ratelimit.New(store, ratelimit.PerSecond(10))
	d, _ := lim.Allow(context.Background(), "user:42")
	fmt.Println(d.Allowed, d.Rate, d.Remaining)
	// Output:
	// true 10/s 9
}

// unreachable is a store whose server cannot be reached.
type unreachable struct{}

func (unreachable) Take(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errors.New("dial tcp 127.0.0.1:6379: connection refused")
}

// switches prints the switches of a fallback store.
type switches struct{}

func (switches) Observe(_ context.Context, e ratelimit.Event) {
	if e.Policy != ratelimit.Fallback {
		return
	}
	if e.Err != nil {
		fmt.Printf("%s: local limits: %v\n", e.Limiter, e.Err)
	} else {
		fmt.Printf("%s: back on the primary\n", e.Limiter)
	}
}

// While the primary fails, each of the 2 processes decides alone with half
// the limit; the switch is reported once.
func Example_outage() {
	store, _ := fallback.New(unreachable{}, 2, fallback.WithName("api"), fallback.WithObserver(switches{}))
	defer store.Close()
	lim, _ := ratelimit.New(store, ratelimit.PerSecond(4))
	for range 3 {
		d, err := lim.Allow(context.Background(), "user:42")
		fmt.Println(d.Allowed, d.Rate, err)
	}
	// Output:
	// api: local limits: dial tcp 127.0.0.1:6379: connection refused
	// true 2/s <nil>
	// true 2/s <nil>
	// false 2/s <nil>
}
