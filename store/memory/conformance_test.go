package memorystore_test

import (
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/ratelimittest"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func TestConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
		s, err := memorystore.New(memorystore.WithAlgorithm(alg), memorystore.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
