package redisstore_test

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
	redisstore "github.com/gorate/ratelimit/store/redis"
)

// algorithms are the algorithms the store offers, each run through the
// whole suite.
var algorithms = []ratelimit.Algorithm{
	ratelimit.AlgorithmSlidingWindowLog,
	ratelimit.AlgorithmGCRA,
	ratelimit.AlgorithmSlidingWindowCounter,
}

// TestConformance runs the suite against the server at REDIS_URL for each
// algorithm, through both paths into a store: a name's view (as the bucket)
// and the Store (as the factory), each with a fresh key prefix.
func TestConformance(t *testing.T) {
	c := newClient(t)
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) { ratelimittest.Run(t, harness(c, alg)) })
	}
}

// harness makes Stores of alg on c.
func harness(c scanDeleter, alg ratelimit.Algorithm) ratelimittest.Harness {
	open := func(t *testing.T, rates ratelimit.Rates) *redisstore.Store {
		t.Helper()
		s, err := redisstore.New(c, rates, redisstore.WithPrefix(uniquePrefix(t, c)), redisstore.WithAlgorithm(alg))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return ratelimittest.Harness{
		Algorithm: alg,
		NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
			s := open(t, rates)
			b, err := s.Bucket(t.Context(), "key")
			if err != nil {
				t.Fatal(err)
			}
			return ratelimittest.StoreView(b, s)
		},
		NewFactory: func(t *testing.T, rates ratelimit.Rates) ratelimit.Factory {
			return open(t, rates)
		},
	}
}
