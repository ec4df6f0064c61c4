package memorystore

import (
	"context"
	"fmt"
	"slices"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

var _ ratelimit.Settler = (*Store)(nil)

// Refund gives back n units of the take of key that taken reports, under
// rates, as [ratelimit.Settler] says: under the log, n of the units stamped
// at taken.At, fewer if fewer remain. It returns the key's standing after
// the refund. A key the store does not hold has nothing to give back. The
// errors are Take's, and an error wrapping [ratelimit.ErrInvalidArgument]
// when n is more than the smallest limit.
func (s *Store) Refund(_ context.Context, key string, rates ratelimit.Rates, taken ratelimit.Decision, n int64) (d ratelimit.Decision, err error) {
	err = s.settle(&d, key, rates, n, taken.At, false)
	return
}

// Charge takes n units under key whatever rates allow, as
// [ratelimit.Settler] says, adding the key if need be, and returns the
// key's standing after the charge. Its errors are Refund's, and
// [ErrTooManyKeys] (wrapped) when key is new and the store full.
func (s *Store) Charge(_ context.Context, key string, rates ratelimit.Rates, n int64) (d ratelimit.Decision, err error) {
	err = s.settle(&d, key, rates, n, 0, true)
	return
}

// settle is Refund (of a take at at) and Charge (charge true) of n units
// under key against rates, writing the key's standing after it into d.
func (s *Store) settle(d *ratelimit.Decision, key string, rates ratelimit.Rates, n, at int64, charge bool) error {
	if n < 0 || len(rates) == 0 {
		return badInput(key, n)
	}
	if err := core.ValidateSettle(rates, n); err != nil {
		return fmt.Errorf("memorystore: key %q: %w", key, err)
	}
	sh, h := s.locate(key)
	now := s.clock.Now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	log := sh.keys.lookup(key, h)
	if log == nil {
		if !charge || n == 0 {
			return decideAbsent(d, s.alg, rates, max(now, sh.swept), 0)
		}
		var err error
		if log, err = s.add(sh, key, h, rates, now); err != nil {
			return err
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	now = log.stamp(now)
	changed, err := log.settle(d, rates, now, at, n, charge)
	if changed {
		sh.rerated(rates, now)
	}
	return err
}

// settle refunds n units taken at at, or charges n units (charge true), at
// now (a stamp) under rates, and writes the key's standing after it into
// d. It reports whether rates differ from those of the key's last take.
func (l *unitLog) settle(d *ratelimit.Decision, rates ratelimit.Rates, now, at, n int64, charge bool) (changed bool, err error) {
	if c := l.cst; c != nil {
		changed = !sameSlice(c.Rates, rates) && !slices.Equal(c.Rates, rates)
		if charge {
			err = c.Charge(d, rates, now, n)
		} else {
			err = c.Refund(d, rates, now, at, n)
		}
		if err != nil {
			return false, fmt.Errorf("memorystore: %w", err)
		}
		return changed, nil
	}
	if !sameSlice(l.rates, rates) {
		if err := validateLog(l.rates, rates); err != nil {
			return false, err
		}
		changed = l.setRates(rates, now)
	}
	switch {
	case charge && n > 0:
		l.insert(now, n)
	case !charge:
		l.refund(at, n)
	}
	l.decide(d, rates, now, 0, false)
	return changed, nil
}

// refund removes n units stamped at at, fewer if fewer remain. An entry it
// empties leaves the ring (the later entries move down one place), so that
// every entry holds a unit.
func (l *unitLog) refund(at, n int64) {
	if n == 0 || l.empty() || at > l.newestTs || at < l.headTs {
		return
	}
	lo, hi := l.head, l.tail-1 // the entry stamped at, if any, is in [lo, hi]
	for lo < hi {
		if mid := lo + (hi-lo)/2; l.entryTs(mid) < at {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	ts, before := l.entry(lo)
	if ts != at {
		return
	}
	next := l.total
	if lo+1 < l.tail {
		next = l.entryBefore(lo + 1)
	}
	r := min(n, next-before)
	for s := lo + 1; s < l.tail; s++ {
		ts, before := l.entry(s)
		l.set(s, ts, before-r)
	}
	l.total -= r
	emptied := r == next-before
	if emptied {
		for s := lo; s+1 < l.tail; s++ {
			ts, before := l.entry(s + 1)
			l.set(s, ts, before)
		}
		l.tail--
		if l.empty() {
			l.dropped = l.total
		} else {
			l.newestTs = l.entryTs(l.tail - 1)
			if lo == l.head {
				l.headTs = l.entryTs(l.head)
			}
		}
	}
	for i := range int(l.ncur) {
		c := l.cursor(i)
		if emptied && c.seq > lo {
			c.seq--
		}
		l.load(c)
	}
}
