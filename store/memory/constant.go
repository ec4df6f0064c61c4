package memorystore

import (
	"fmt"

	ratelimit "github.com/gorate/ratelimit/core"
)

// algorithm is the admission algorithm of a Bucket or Store.
type algorithm uint8

const (
	algLog     algorithm = iota // ratelimit.SlidingWindowLog, in the unitLog's entries
	algGCRA                     // ratelimit.GCRA, in constState.gcra
	algCounter                  // ratelimit.SlidingWindowCounter, in constState.ctr
)

// parseAlgorithm maps a ratelimit.Algorithm onto the store's, checking that
// rates suit it.
func parseAlgorithm(a ratelimit.Algorithm, rates ratelimit.Rates) (algorithm, error) {
	switch a {
	case "", ratelimit.AlgorithmSlidingWindowLog:
		return algLog, nil
	case ratelimit.AlgorithmGCRA:
		return algGCRA, ratelimit.GCRA{}.Validate(rates)
	case ratelimit.AlgorithmSlidingWindowCounter:
		return algCounter, ratelimit.SlidingWindowCounter{}.Validate(rates)
	}
	return algLog, fmt.Errorf("%w: memorystore: unknown algorithm %q", ratelimit.ErrInvalidArgument, a)
}

// constState is a key's state under GCRA or the counter: a few numbers per
// rate, whatever the traffic.
type constState struct {
	gcra []ratelimit.GCRAState
	ctr  []ratelimit.CounterState
}

func newConstState(alg algorithm, rates int) *constState {
	if alg == algGCRA {
		return &constState{gcra: make([]ratelimit.GCRAState, rates)}
	}
	return &constState{ctr: make([]ratelimit.CounterState, rates)}
}

// newKeyLog returns an empty log for alg.
func newKeyLog(alg algorithm, rates int, key string) *unitLog {
	l := newUnitLog(rates, key)
	if alg != algLog {
		l.cst = newConstState(alg, rates)
	}
	return l
}

// decide judges item into d with the log's algorithm and applies it if
// allowed; store false judges without changing anything (Waiting).
func (l *unitLog) decide(d *ratelimit.Decision, rates ratelimit.Rates, item ratelimit.Item, maxInterval int64, store bool) {
	c := l.cst
	switch {
	case c == nil && store:
		l.put(d, rates, item, maxInterval)
	case c == nil:
		ratelimit.SlidingWindowLog{}.DecideInto(d, rates, item, l)
	case !store:
		c = &constState{gcra: append([]ratelimit.GCRAState(nil), c.gcra...), ctr: append([]ratelimit.CounterState(nil), c.ctr...)}
		fallthrough
	default:
		if c.gcra != nil {
			ratelimit.GCRA{}.DecideInto(d, rates, item.Time, item.Weight, c.gcra)
		} else {
			ratelimit.SlidingWindowCounter{}.DecideInto(d, rates, item.Time, item.Weight, c.ctr)
		}
	}
}

// countAt returns the units the log holds; now matters to a constant-state
// algorithm only (see ratelimit.GCRA.Count).
func (l *unitLog) countAt(rates ratelimit.Rates, now int64) int64 {
	switch c := l.cst; {
	case c == nil:
		return l.count()
	case c.gcra != nil:
		return ratelimit.GCRA{}.Count(rates, now, c.gcra)
	default:
		return ratelimit.SlidingWindowCounter{}.Count(rates, now, c.ctr)
	}
}

// leakAt removes what no longer counts at now: for the log, the units older
// than the largest interval (returning how many); for a constant-state
// algorithm, the whole state once it counts nothing (returning 0: it holds
// no units).
func (l *unitLog) leakAt(rates ratelimit.Rates, now, maxInterval int64) int64 {
	if l.cst == nil {
		return l.leak(now - maxInterval)
	}
	if l.idleAt(rates) <= now {
		l.flush()
	}
	return 0
}

// idleAt returns the earliest time at which the log counts nothing, if
// nothing more is put: when a sweep may drop it.
func (l *unitLog) idleAt(rates ratelimit.Rates) int64 {
	c := l.cst
	if c == nil {
		newest, ok := l.newest()
		if !ok {
			return minTime
		}
		return newest + rates.Largest().IntervalMillis() + 1
	}
	at := int64(minTime)
	for i, r := range rates {
		if c.gcra != nil {
			s := c.gcra[i]
			at = max(at, s.TAT+min(s.Rem, 1))
		} else if s := c.ctr[i]; s.Cur > 0 {
			at = max(at, s.Start+2*r.IntervalMillis())
		} else if s.Prev > 0 {
			at = max(at, s.Start+r.IntervalMillis())
		}
	}
	return at
}

// peek is Peek's look-up: a constant-state log has nothing to return.
func (l *unitLog) peek(i int64) (ratelimit.Item, bool, error) {
	if l.cst != nil {
		return ratelimit.Item{}, false, fmt.Errorf("memorystore: Peek(%d): %w", i, ratelimit.ErrNoHistory)
	}
	it, ok := l.item(i)
	return it, ok, nil
}

const minTime = -1 << 63
