// Package customstore is a store as one is written outside this repository:
// the smallest correct ratelimit.Store, a map under one lock, deciding with
// package core, and held to every rule by ratelimittest in store_test.go.
//
//	go test ./examples/customstore
package customstore

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// Store keeps each key's state in a map under one lock. It never forgets a
// key: a real store would expire them (core.State.IdleAt says when).
type Store struct {
	mu    sync.Mutex
	alg   ratelimit.Algorithm
	clock core.Clock
	keys  map[string]*key
}

// key is one key's state: its units' timestamps (the log) or a core.State.
type key struct {
	units []int64
	state core.State
}

// New returns an empty Store deciding with alg on clock (nil: the process's
// monotonic clock).
func New(alg ratelimit.Algorithm, clock core.Clock) (*Store, error) {
	if err := core.Validate(alg, nil); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = core.MonotonicClock{}
	}
	return &Store{alg: alg, clock: clock, keys: map[string]*key{}}, nil
}

// Take takes n units under k against rates, as ratelimit.Store says.
func (s *Store) Take(_ context.Context, k string, rates ratelimit.Rates, n int64) (d ratelimit.Decision, err error) {
	if n < 0 {
		return d, fmt.Errorf("%w: n = %d", ratelimit.ErrInvalidArgument, n)
	}
	if len(rates) == 0 {
		return d, fmt.Errorf("%w: no rates", ratelimit.ErrInvalidRate)
	}
	if err := core.Validate(s.alg, rates); err != nil {
		return d, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.keys[k]
	if st == nil {
		st = &key{state: core.State{Algorithm: s.alg}}
		s.keys[k] = st
	}
	now := s.clock.Now()
	if s.alg != ratelimit.SlidingWindowLog && s.alg != "" {
		return d, st.state.Decide(&d, rates, now, n, true)
	}
	core.DecideLog(&d, rates, now, n, st)
	if d.Allowed && n > 0 {
		i, _ := slices.BinarySearch(st.units, now+1)
		st.units = slices.Insert(st.units, i, slices.Repeat([]int64{now}, int(n))...)
	}
	return d, nil
}

// CountSince implements core.WindowLog: the units stamped at or after since.
func (k *key) CountSince(_ int, since int64) int64 {
	i, _ := slices.BinarySearch(k.units, since)
	return int64(len(k.units) - i)
}

// NthNewest implements core.WindowLog: the stamp of the i-th newest unit.
func (k *key) NthNewest(i int64) (int64, bool) {
	if i < 0 || i >= int64(len(k.units)) {
		return 0, false
	}
	return k.units[int64(len(k.units))-1-i], true
}
