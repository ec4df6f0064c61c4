package pgstore_test

import (
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/ratelimittest"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// TestConformance runs the suite, each store on a fresh table.
func TestConformance(t *testing.T) {
	pool := sharedPool(t)
	ratelimittest.Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
		s, _ := newStore(t, pool, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock))
		return s
	})
}
