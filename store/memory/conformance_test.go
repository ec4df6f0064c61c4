package memorystore_test

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// algorithms are the algorithms the memory store offers, each run through
// the whole suite.
var algorithms = []ratelimit.Algorithm{
	ratelimit.AlgorithmSlidingWindowLog,
	ratelimit.AlgorithmGCRA,
	ratelimit.AlgorithmSlidingWindowCounter,
}

func TestConformance(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			opt := memorystore.WithAlgorithm(alg)
			ratelimittest.Run(t, ratelimittest.Harness{
				Algorithm: alg,
				NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
					b, err := memorystore.NewBucket(rates, opt)
					if err != nil {
						t.Fatal(err)
					}
					return b
				},
				NewFactory: func(t *testing.T, rates ratelimit.Rates) ratelimit.Factory {
					s, err := memorystore.New(rates, opt)
					if err != nil {
						t.Fatal(err)
					}
					return s
				},
			})
		})
	}
}

// TestConformanceStoreBucket runs the suite against the per-key views a Store
// hands out, so that both paths into a store's state are held to the rules.
func TestConformanceStoreBucket(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			ratelimittest.Run(t, ratelimittest.Harness{
				Algorithm: alg,
				NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
					s, err := memorystore.New(rates, memorystore.WithAlgorithm(alg))
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
		})
	}
}
