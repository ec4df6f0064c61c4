package ratelimittest

import (
	"slices"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// model is the decision every store must compute, to the millisecond: the
// plainest sliding-window log (every unit its own sorted timestamp) or the
// core's state of a constant-state algorithm.
type model struct {
	alg   ratelimit.Algorithm
	units []int64
	state core.State
}

func newModel(alg ratelimit.Algorithm) *model {
	return &model{alg: alg, state: core.State{Algorithm: alg}}
}

// take judges n units at now against rates, and keeps them if admitted.
func (m *model) take(rates ratelimit.Rates, now, n int64) (d ratelimit.Decision) {
	if m.alg != ratelimit.SlidingWindowLog {
		if err := m.state.Decide(&d, rates, now, n, true); err != nil {
			panic(err) // the suite's rates are valid
		}
		return d
	}
	core.DecideLog(&d, rates, now, n, m)
	if d.Allowed {
		i, _ := slices.BinarySearch(m.units, now+1)
		m.units = slices.Insert(m.units, i, slices.Repeat([]int64{now}, int(n))...)
	}
	return d
}

// refund gives back n units taken at at, at now under rates, as
// ratelimit.Settler says, and returns the key's standing after it.
func (m *model) refund(rates ratelimit.Rates, now, at, n int64) (d ratelimit.Decision) {
	if m.alg != ratelimit.SlidingWindowLog {
		if err := m.state.Refund(&d, rates, now, at, n); err != nil {
			panic(err)
		}
		return d
	}
	if at <= now {
		i, found := slices.BinarySearch(m.units, at)
		j := i
		for found && j < len(m.units) && m.units[j] == at && int64(j-i) < n {
			j++
		}
		m.units = slices.Delete(m.units, i, j)
	}
	return m.take(rates, now, 0)
}

// charge takes n units at now whatever rates allow, and returns the key's
// standing after them.
func (m *model) charge(rates ratelimit.Rates, now, n int64) (d ratelimit.Decision) {
	if m.alg != ratelimit.SlidingWindowLog {
		if err := m.state.Charge(&d, rates, now, n); err != nil {
			panic(err)
		}
		return d
	}
	i, _ := slices.BinarySearch(m.units, now+1)
	m.units = slices.Insert(m.units, i, slices.Repeat([]int64{now}, int(n))...)
	return m.take(rates, now, 0)
}

// check is take on a copy of the model: it changes nothing.
func (m *model) check(rates ratelimit.Rates, now, n int64) ratelimit.Decision {
	c := &model{alg: m.alg, units: slices.Clone(m.units), state: m.state}
	c.state.GCRA, c.state.Counter = slices.Clone(m.state.GCRA), slices.Clone(m.state.Counter)
	return c.take(rates, now, n)
}

// fits returns how many takes of one unit at now the model admits in a
// row, and admits them.
func (m *model) fits(rates ratelimit.Rates, now int64) int {
	n := 0
	for m.take(rates, now, 1).Allowed {
		n++
	}
	return n
}

// CountSince implements core.WindowLog.
func (m *model) CountSince(_ int, since int64) int64 {
	i, _ := slices.BinarySearch(m.units, since)
	return int64(len(m.units) - i)
}

// NthNewest implements core.WindowLog.
func (m *model) NthNewest(k int64) (int64, bool) {
	if k < 0 || k >= int64(len(m.units)) {
		return 0, false
	}
	return m.units[int64(len(m.units))-1-k], true
}
