package pgstore_test

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// algorithms are the algorithms the store offers, each run through the
// whole suite.
var algorithms = []ratelimit.Algorithm{
	ratelimit.AlgorithmSlidingWindowLog,
	ratelimit.AlgorithmGCRA,
	ratelimit.AlgorithmSlidingWindowCounter,
}

// TestConformance runs the suite for each algorithm against a fresh table
// per store, through both paths into a store: a name's view (as the bucket)
// and the Store (as the factory).
func TestConformance(t *testing.T) {
	pool := sharedPool(t)
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			opt := pgstore.WithAlgorithm(alg)
			ratelimittest.Run(t, ratelimittest.Harness{
				Algorithm: alg,
				NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
					s := newStore(t, pool, rates, opt)
					b, err := s.Bucket(t.Context(), "key")
					if err != nil {
						t.Fatal(err)
					}
					return ratelimittest.StoreView(b, s)
				},
				NewFactory: func(t *testing.T, rates ratelimit.Rates) ratelimit.Factory {
					return newStore(t, pool, rates, opt)
				},
			})
		})
	}
}
