package memorystore

import (
	"fmt"
	"slices"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// take judges n units at now (a stamp) against rates into d and applies them
// if allowed. It reports whether rates differ from those of the key's last
// take. (d is an out-parameter: copying a returned Decision through each
// layer costs more than the rest of a take.)
func (l *unitLog) take(d *ratelimit.Decision, rates ratelimit.Rates, now, n int64) (changed bool, err error) {
	if l.ownOne(rates) {
		l.decideOne(d, rates[0], now, n, true) // the commonest take
		return false, nil
	}
	if c := l.cst; c != nil {
		if !sameSlice(c.Rates, rates) {
			if changed = !slices.Equal(c.Rates, rates); !changed {
				c.Rates = rates // the same rates in another slice: keep the fast path
			}
		}
		return changed, c.Decide(d, rates, now, n, true)
	}
	if !sameSlice(l.rates, rates) {
		if err := validateLog(l.rates, rates); err != nil {
			return false, err
		}
		changed = l.setRates(rates, now)
	}
	l.decide(d, rates, now, n, true)
	return changed, nil
}

// check judges n units at now (at least the key's floor) against rates into
// d as take would, changing nothing a later take can observe.
func (l *unitLog) check(d *ratelimit.Decision, rates ratelimit.Rates, now, n int64) error {
	if c := l.cst; c != nil {
		return c.Decide(d, rates, now, n, false)
	}
	if !sameSlice(l.rates, rates) && !slices.Equal(l.rates, rates) {
		if err := validateLog(nil, rates); err != nil {
			return err
		}
		// Judge as a take would, through cursors sought afresh, and leave
		// them to be sought again by the next take under the key's own
		// rates. Forgetting changes nothing a later take sees: it would
		// forget those units too, once stamped no earlier than now.
		l.floor = now
		l.forget(now)
		l.resetCursors(len(rates))
		l.decide(d, rates, now, n, false)
		l.resetCursors(len(l.rates))
		return nil
	}
	l.decide(d, rates, now, n, false)
	return nil
}

// expire drops what no longer counts at now (a clock reading) and returns
// the earliest time from which the key counts nothing if nothing more is
// taken: at or before now, the key is idle and may be dropped.
func (l *unitLog) expire(now int64) int64 {
	l.floor = max(l.floor, now) // see stamp: a later take must count what this keeps
	at := l.expireUnits(now)
	if l.blk != nil {
		if l.blk.Idle <= now {
			l.blk = nil
		} else {
			at = max(at, l.blk.Idle)
		}
	}
	return at
}

// expireUnits is expire for the key's units or state alone.
func (l *unitLog) expireUnits(now int64) int64 {
	if l.cst != nil {
		return l.cst.IdleAt()
	}
	if l.empty() {
		return minTime
	}
	l.forget(now)
	if l.empty() {
		return minTime
	}
	return l.newestTs + l.rates.Largest().IntervalMillis() + 1
}

// span returns the longest interval the key's last take was judged under,
// in milliseconds, 0 if none.
func (l *unitLog) span() int64 {
	rates := l.rates
	if l.cst != nil {
		rates = l.cst.Rates
	}
	if len(rates) == 0 {
		return 0
	}
	return rates.Largest().IntervalMillis()
}

// noUnits is the log of a key the store does not hold.
type noUnits struct{}

func (noUnits) CountSince(int, int64) int64   { return 0 }
func (noUnits) NthNewest(int64) (int64, bool) { return 0, false }

// decideAbsent judges n units at now against rates for a key the store does
// not hold, adding nothing.
func decideAbsent(d *ratelimit.Decision, alg ratelimit.Algorithm, rates ratelimit.Rates, now, n int64) error {
	if alg == ratelimit.SlidingWindowLog {
		if err := validateLog(nil, rates); err != nil {
			return err
		}
		core.DecideLog(d, rates, now, n, noUnits{})
		return nil
	}
	s := core.State{Algorithm: alg}
	return s.Decide(d, rates, now, n, true)
}

// validateLog checks rates for the log unless they equal the key's own,
// which were checked when the key took them.
func validateLog(own, rates ratelimit.Rates) error {
	if own != nil && slices.Equal(own, rates) {
		return nil
	}
	if err := core.Validate(ratelimit.SlidingWindowLog, rates); err != nil {
		return fmt.Errorf("memorystore: %w", err)
	}
	return nil
}
