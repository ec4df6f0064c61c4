package denialcache_test

import (
	"context"
	"fmt"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/denialcache"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// A key hammered past its limit: after the first denial, the next ones are
// answered by the cache, and never reach the shared store (here a memory
// store stands in for Redis or PostgreSQL).
func Example() {
	shared, err := memorystore.New()
	if err != nil {
		panic(err)
	}
	inner := &counting{Store: shared}
	store, err := denialcache.New(inner)
	if err != nil {
		panic(err)
	}
	limiter, err := ratelimit.New(store, ratelimit.PerMinute(3))
	if err != nil {
		panic(err)
	}
	admitted := 0
	for range 100 {
		d, err := limiter.Allow(context.Background(), "client")
		if err != nil {
			panic(err)
		}
		if d.Allowed {
			admitted++
		}
	}
	fmt.Printf("%d admitted, %d calls reached the shared store\n", admitted, inner.calls.Load())
	// Output: 3 admitted, 4 calls reached the shared store
}
