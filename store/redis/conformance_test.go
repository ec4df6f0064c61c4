package redisstore_test

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/core/ratelimittest"
	redisstore "github.com/gorate/ratelimit/store/redis"
)

// TestConformance runs the suite against the server at REDIS_URL, through
// both paths into a store: a name's view (as the bucket) and the Store (as
// the factory), each with a fresh key prefix.
func TestConformance(t *testing.T) {
	c := newClient(t)
	ratelimittest.Run(t, harness(c))
}

// harness makes Stores on c.
func harness(c scanDeleter) ratelimittest.Harness {
	open := func(t *testing.T, rates ratelimit.Rates) *redisstore.Store {
		t.Helper()
		s, err := redisstore.New(c, rates, redisstore.WithPrefix(uniquePrefix(t, c)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return ratelimittest.Harness{
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
