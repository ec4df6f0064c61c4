package core

import (
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
)

// Validate reports whether a store can judge rates under algorithm a
// without misjudging or failing: each rate has a limit of at least 1 and an
// interval that is a whole number of milliseconds from 1ms to
// [ratelimit.MaxInterval], in strictly increasing order, and under GCRA and
// the sliding-window counter limit × interval in milliseconds is at most
// [MaxExact]. A bad list is an error wrapping [ratelimit.ErrInvalidRate]
// naming the rate; an unknown algorithm, one wrapping
// [ratelimit.ErrInvalidArgument]. An empty list checks the algorithm alone.
// Lists made by [ratelimit.NewRates] pass the first checks.
func Validate(a ratelimit.Algorithm, rates ratelimit.Rates) error {
	exact := false
	switch a {
	case "", ratelimit.SlidingWindowLog:
	case ratelimit.GCRA, ratelimit.SlidingWindowCounter:
		exact = true
	default:
		return fmt.Errorf("%w: unknown algorithm %q", ratelimit.ErrInvalidArgument, a)
	}
	for i, r := range rates {
		switch {
		case r.Limit < 1:
			return fmt.Errorf("%w: %v: the limit must be at least 1", ratelimit.ErrInvalidRate, r)
		case r.Interval < time.Millisecond || r.Interval%time.Millisecond != 0 || r.Interval > ratelimit.MaxInterval:
			return fmt.Errorf("%w: %v: the interval must be a whole number of milliseconds from 1ms to 100 years", ratelimit.ErrInvalidRate, r)
		case i > 0 && r.Interval <= rates[i-1].Interval:
			return fmt.Errorf("%w: %v after %v: intervals must strictly increase", ratelimit.ErrInvalidRate, r, rates[i-1])
		case exact && r.IntervalMillis() > MaxExact/r.Limit:
			return fmt.Errorf("%w: %v: limit × interval in ms exceeds 2^53, beyond exact arithmetic", ratelimit.ErrInvalidRate, r)
		}
	}
	return nil
}

// State is one key's state under [ratelimit.GCRA] or
// [ratelimit.SlidingWindowCounter], for stores that decide in Go. A State
// with only Algorithm set is a key with no history, and so is one whose
// slice does not hold one entry per rate of Rates; a store may persist the
// other fields as they are and load them back.
type State struct {
	Algorithm ratelimit.Algorithm
	// Rates are the rates the state was kept under: nil before the first take.
	Rates ratelimit.Rates
	// GCRA holds one entry per rate of Rates under GCRA, Counter one under the
	// counter; the other is nil.
	GCRA    []GCRAState
	Counter []CounterState
}

// Decide judges n units at now (milliseconds) against rates and writes the
// decision into d. When rates differ from s.Rates, it first carries the state
// over to them by the rules of [ratelimit.Store] (failing, with s unchanged,
// if they do not pass [Validate], or with an error wrapping
// [ratelimit.ErrInvalidArgument] if s.Algorithm is neither GCRA nor the
// counter). With take, an allowed take of n > 0 advances the state; without
// it, s is left as it was (a check).
func (s *State) Decide(d *ratelimit.Decision, rates ratelimit.Rates, now, n int64, take bool) error {
	if !take {
		c := s.clone()
		s = &c
	}
	if !same(s.Rates, rates) || !s.consistent() {
		if err := s.carry(rates, now); err != nil {
			return err
		}
	}
	if s.Algorithm == ratelimit.GCRA {
		gcraDecide(d, rates, now, n, s.GCRA)
	} else {
		counterDecide(d, rates, now, n, s.Counter)
	}
	return nil
}

// IdleAt returns the earliest time from which s counts nothing in any rate
// if nothing more is admitted: when a store may drop it, or let it expire.
func (s *State) IdleAt() int64 {
	at := int64(-1 << 63)
	if !s.consistent() {
		return at
	}
	for i, r := range s.Rates {
		if s.Algorithm == ratelimit.GCRA {
			g := s.GCRA[i]
			at = max(at, g.TAT+min(g.Rem, 1))
		} else if c := s.Counter[i]; c.Cur > 0 {
			at = max(at, c.Start+2*r.IntervalMillis())
		} else if c.Prev > 0 {
			at = max(at, c.Start+r.IntervalMillis())
		}
	}
	return at
}

// consistent reports whether s holds one entry per rate of s.Rates in the
// slice of its algorithm; a state that does not is a key with no history.
func (s *State) consistent() bool {
	switch s.Algorithm {
	case ratelimit.GCRA:
		return len(s.GCRA) == len(s.Rates)
	case ratelimit.SlidingWindowCounter:
		return len(s.Counter) == len(s.Rates)
	}
	return false
}

// same reports whether a and b are the same rates: the same slice (the
// common case, checked first) or equal ones.
func same(a, b ratelimit.Rates) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// carry moves s to rates, matching rates by interval: see ratelimit.Store.
func (s *State) carry(rates ratelimit.Rates, now int64) error {
	if err := Validate(s.Algorithm, rates); err != nil {
		return err
	}
	old := s.Rates
	switch s.Algorithm {
	case ratelimit.GCRA:
		if len(s.GCRA) != len(old) {
			old = nil // no usable history
		}
		next := make([]GCRAState, len(rates))
		for i, r := range rates {
			if j := indexOf(old, r); j >= 0 {
				next[i] = gcraCarry(s.GCRA[j], old[j], r, now)
			}
		}
		s.GCRA, s.Counter = next, nil
	case ratelimit.SlidingWindowCounter:
		if len(s.Counter) != len(old) {
			old = nil
		}
		next := make([]CounterState, len(rates))
		for i, r := range rates {
			if j := indexOf(old, r); j >= 0 {
				next[i] = s.Counter[j]
			}
		}
		s.GCRA, s.Counter = nil, next
	default:
		return fmt.Errorf("%w: state of algorithm %q", ratelimit.ErrInvalidArgument, s.Algorithm)
	}
	s.Rates = rates
	return nil
}

// indexOf returns the index of the rate of rs with r's interval, or -1.
func indexOf(rs ratelimit.Rates, r ratelimit.Rate) int {
	for j, o := range rs {
		if o.Interval == r.Interval {
			return j
		}
	}
	return -1
}

// gcraCarry returns s, kept under old, moved to r of the same interval: the
// units still owed at now (rounded up) are emitted at r's pace from now.
func gcraCarry(s GCRAState, old, r ratelimit.Rate, now int64) GCRAState {
	if old.Limit == r.Limit {
		return s
	}
	if s.TAT < now || (s.TAT == now && s.Rem == 0) {
		return GCRAState{}
	}
	interval := r.IntervalMillis()
	// Exact while now does not go back: owed never exceeds a limit this
	// interval has had (a lowered limit can leave TAT beyond now +
	// interval), and each such limit × interval passed Validate.
	owed := ((s.TAT-now)*old.Limit + s.Rem + interval - 1) / interval
	w := owed * interval
	return GCRAState{TAT: now + w/r.Limit, Rem: w % r.Limit}
}

// clone returns a copy of s that shares no state slice with it.
func (s *State) clone() State {
	c := *s
	c.GCRA = append([]GCRAState(nil), s.GCRA...)
	c.Counter = append([]CounterState(nil), s.Counter...)
	return c
}
