package ratelimittest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// modelStore is the plainest store: the suite's own model per key, under
// one lock. The suite must pass it; a case that fails here is wrong.
type modelStore struct {
	mu    sync.Mutex
	alg   ratelimit.Algorithm
	clock core.Clock
	keys  map[string]*model
}

func (s *modelStore) op(key string, rates ratelimit.Rates, n int64, take bool) (ratelimit.Decision, error) {
	if n < 0 {
		return ratelimit.Decision{}, fmt.Errorf("%w: n=%d", ratelimit.ErrInvalidArgument, n)
	}
	if len(rates) == 0 {
		return ratelimit.Decision{}, fmt.Errorf("%w: no rates", ratelimit.ErrInvalidRate)
	}
	if err := core.Validate(s.alg, rates); err != nil {
		return ratelimit.Decision{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.keys[key]
	if m == nil {
		m = newModel(s.alg)
		s.keys[key] = m
	}
	if !take {
		return m.check(rates, s.clock.Now(), n), nil
	}
	return m.take(rates, s.clock.Now(), n), nil
}

func (s *modelStore) Take(_ context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return s.op(key, rates, n, true)
}

func (s *modelStore) Check(_ context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	return s.op(key, rates, n, false)
}

func (s *modelStore) Reset(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, key)
	return nil
}

func TestRunModelStore(t *testing.T) {
	Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
		if clock == nil {
			clock = core.MonotonicClock{}
		}
		return &modelStore{alg: alg, clock: clock, keys: map[string]*model{}}
	})
}
