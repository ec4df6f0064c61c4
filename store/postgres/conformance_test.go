package pgstore_test

import (
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/ratelimittest"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// TestConformance runs the suite, each store on a fresh table, with takes
// batched (WithMaxBatch(64)) and without (the default).
func TestConformance(t *testing.T) {
	pool := sharedPool(t)
	for _, c := range []struct {
		name string
		opts []pgstore.Option
	}{
		{"batched", []pgstore.Option{batched}},
		{"alone", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ratelimittest.Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
				s, _ := newStore(t, pool, append([]pgstore.Option{pgstore.WithAlgorithm(alg), pgstore.WithClock(clock)}, c.opts...)...)
				return s
			})
		})
	}
}
