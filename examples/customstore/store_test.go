package customstore_test

import (
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/examples/customstore"
	"github.com/gorate/ratelimit/ratelimittest"
)

// TestConformance is the whole harness a store needs.
func TestConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
		s, err := customstore.New(alg, clock)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
