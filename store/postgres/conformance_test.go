package pgstore_test

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/core/ratelimittest"
)

// TestConformance runs the suite against a fresh table per store, through
// both paths into a store: a name's view (as the bucket) and the Store (as
// the factory).
func TestConformance(t *testing.T) {
	pool := sharedPool(t)
	ratelimittest.Run(t, ratelimittest.Harness{
		NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
			s := newStore(t, pool, rates)
			b, err := s.Bucket(t.Context(), "key")
			if err != nil {
				t.Fatal(err)
			}
			return ratelimittest.StoreView(b, s)
		},
		NewFactory: func(t *testing.T, rates ratelimit.Rates) ratelimit.Factory {
			return newStore(t, pool, rates)
		},
	})
}
