package memorystore

import (
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// parseAlgorithm checks that rates suit a and returns it, "" made the log.
func parseAlgorithm(a ratelimit.Algorithm, rates ratelimit.Rates) (ratelimit.Algorithm, error) {
	if err := a.Validate(rates); err != nil {
		return a, fmt.Errorf("memorystore: %w", err)
	}
	if a == "" {
		a = ratelimit.AlgorithmSlidingWindowLog
	}
	return a, nil
}

// newKeyLog returns an empty log for alg.
func newKeyLog(alg ratelimit.Algorithm, rates int, key string) *unitLog {
	l := newUnitLog(rates, key)
	if alg != ratelimit.AlgorithmSlidingWindowLog {
		k := ratelimit.NewKeyState(alg, rates)
		l.cst = &k
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
		c.Clone().DecideInto(d, rates, item.Time, item.Weight)
	default:
		c.DecideInto(d, rates, item.Time, item.Weight)
	}
}

// countAt returns the units the log holds; now matters to a constant-state
// algorithm only (see ratelimit.GCRA.Count).
func (l *unitLog) countAt(rates ratelimit.Rates, now int64) int64 {
	if l.cst == nil {
		return l.count()
	}
	return l.cst.Count(rates, now)
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
	if l.cst != nil {
		return l.cst.IdleAt(rates)
	}
	newest, ok := l.newest()
	if !ok {
		return minTime
	}
	return newest + rates.Largest().IntervalMillis() + 1
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
