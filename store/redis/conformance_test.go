package redisstore_test

import (
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/ratelimittest"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestConformance runs the suite against the server at REDIS_URL.
func TestConformance(t *testing.T) { conformance(t, newClient(t)) }

// conformance runs the suite on c, each store under a fresh prefix.
func conformance(t *testing.T, c redis.UniversalClient) {
	ratelimittest.Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
		return newStore(t, c, redisstore.WithAlgorithm(alg), redisstore.WithClock(clock))
	})
}
