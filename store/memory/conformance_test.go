package memorystore_test

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/core/ratelimittest"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func TestConformance(t *testing.T) {
	ratelimittest.Run(t, ratelimittest.Harness{
		NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
			b, err := memorystore.NewBucket(rates)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		NewFactory: func(t *testing.T, rates ratelimit.Rates) ratelimit.Factory {
			s, err := memorystore.New(rates)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	})
}

// TestConformanceStoreBucket runs the suite against the per-key views a Store
// hands out, so that both paths into a store's state are held to the rules.
func TestConformanceStoreBucket(t *testing.T) {
	ratelimittest.Run(t, ratelimittest.Harness{
		NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
			s, err := memorystore.New(rates)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.Bucket(t.Context(), "key")
			if err != nil {
				t.Fatal(err)
			}
			return ratelimittest.StoreView(b, s)
		},
	})
}
