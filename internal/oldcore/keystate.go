package ratelimit

import "fmt"

// Validate reports whether a names an algorithm that rates suit: nil for
// the log ("" included), [GCRA.Validate] or [SlidingWindowCounter.Validate]
// for those, and an error wrapping [ErrInvalidArgument] for an unknown name.
func (a Algorithm) Validate(rates Rates) error {
	switch a {
	case "", AlgorithmSlidingWindowLog:
		return nil
	case AlgorithmGCRA:
		return GCRA{}.Validate(rates)
	case AlgorithmSlidingWindowCounter:
		return SlidingWindowCounter{}.Validate(rates)
	}
	return fmt.Errorf("%w: unknown algorithm %q", ErrInvalidArgument, a)
}

// Ordinal returns a's number, for stores that record the algorithm (in a
// file header, a column): 0 for the log ("" included), 1 for GCRA, 2 for
// the sliding-window counter, -1 for an unknown name.
func (a Algorithm) Ordinal() int {
	switch a {
	case "", AlgorithmSlidingWindowLog:
		return 0
	case AlgorithmGCRA:
		return 1
	case AlgorithmSlidingWindowCounter:
		return 2
	}
	return -1
}

// KeyState is one key's state under a constant-state algorithm, for stores
// that decide in Go: exactly one of GCRA and Counter holds one entry per
// rate. Its methods apply the algorithm it holds.
type KeyState struct {
	GCRA    []GCRAState
	Counter []CounterState
}

// NewKeyState returns the state of a key with no history under a, which
// must be AlgorithmGCRA or AlgorithmSlidingWindowCounter, for rates rates.
func NewKeyState(a Algorithm, rates int) KeyState {
	if a == AlgorithmGCRA {
		return KeyState{GCRA: make([]GCRAState, rates)}
	}
	return KeyState{Counter: make([]CounterState, rates)}
}

// DecideInto judges weight units at now into d, advancing k if admitted
// (see [GCRA.DecideInto] and [SlidingWindowCounter.DecideInto]).
func (k KeyState) DecideInto(d *Decision, rates Rates, now, weight int64) {
	if k.GCRA != nil {
		GCRA{}.DecideInto(d, rates, now, weight, k.GCRA)
	} else {
		SlidingWindowCounter{}.DecideInto(d, rates, now, weight, k.Counter)
	}
}

// Count returns the units k still counts against the largest rate at now.
func (k KeyState) Count(rates Rates, now int64) int64 {
	if k.GCRA != nil {
		return GCRA{}.Count(rates, now, k.GCRA)
	}
	return SlidingWindowCounter{}.Count(rates, now, k.Counter)
}

// IdleAt returns the earliest time from which k counts nothing in any rate
// if nothing more is admitted: when a store may drop it, or let it expire.
func (k KeyState) IdleAt(rates Rates) int64 {
	at := int64(-1 << 63)
	for i, r := range rates {
		if k.GCRA != nil {
			s := k.GCRA[i]
			at = max(at, s.TAT+min(s.Rem, 1))
		} else if s := k.Counter[i]; s.Cur > 0 {
			at = max(at, s.Start+2*r.IntervalMillis())
		} else if s.Prev > 0 {
			at = max(at, s.Start+r.IntervalMillis())
		}
	}
	return at
}

// Reset makes k the state of a key with no history.
func (k KeyState) Reset() {
	clear(k.GCRA)
	clear(k.Counter)
}

// Clone returns a copy of k that shares nothing with it.
func (k KeyState) Clone() KeyState {
	c := KeyState{}
	if k.GCRA != nil {
		c.GCRA = append([]GCRAState(nil), k.GCRA...)
	}
	if k.Counter != nil {
		c.Counter = append([]CounterState(nil), k.Counter...)
	}
	return c
}
