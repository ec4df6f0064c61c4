package fallback_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/ratelimittest"
	"github.com/gorate/ratelimit/store/fallback"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// down is a primary whose every call fails.
type down struct{}

var errDown = errors.New("down")

func (down) Take(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errDown
}
func (down) Check(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errDown
}
func (down) Reset(context.Context, string) error { return errDown }
func (down) Refund(context.Context, string, ratelimit.Rates, ratelimit.Decision, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errDown
}
func (down) Charge(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errDown
}
func (down) TakeBlocking(context.Context, string, ratelimit.Rates, int64, ratelimit.Block) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errDown
}
func (down) Block(context.Context, string, time.Duration) error { return errDown }

// The store is a conforming store on its primary, and on its local store
// alone (one instance: the share is the rates themselves).
func TestConformance(t *testing.T) {
	memory := func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) *memorystore.Store {
		m, err := memorystore.New(memorystore.WithAlgorithm(alg), memorystore.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Run("primary", func(t *testing.T) {
		ratelimittest.Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
			s, err := fallback.New(memory(t, alg, clock), 1)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("local", func(t *testing.T) {
		ratelimittest.Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
			s, err := fallback.New(down{}, 1, fallback.WithLocal(memory(t, alg, clock)))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}
