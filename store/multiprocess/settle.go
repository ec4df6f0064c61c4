package mpstore

import (
	"context"
	"fmt"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// Refund gives back n units of the take of key that taken reports, under
// rates, as [ratelimit.Settler] says, under the file's lock like a take
// and committed as one change, so that a process killed in the middle
// leaves it whole or absent: under the log, n of the units stamped at
// taken.At are removed, fewer if fewer remain, the later entries' words
// moved through the file's journal, which the next lock holder finishes if
// need be; under GCRA and the counter, the key's state is changed by
// [core.State.Refund] and committed as a take's is. It returns the key's
// standing after the refund, at the store's clock's reading. A key with no
// slot has nothing to give back. Like Take's, the wait for the lock is not
// bounded by ctx. Its errors are Take's, and one wrapping
// [ratelimit.ErrInvalidArgument] when n is more than the smallest limit.
func (s *Store) Refund(_ context.Context, key string, rates ratelimit.Rates, taken ratelimit.Decision, n int64) (d ratelimit.Decision, err error) {
	err = s.settle(&d, key, rates, n, taken.At, false)
	return
}

// Charge takes n units under key whatever rates allow, as
// [ratelimit.Settler] says, under the file's lock and committed as one
// change like a take's, giving key a slot if need be. It returns the key's
// standing after the charge, not allowed while a rate is overdrawn. Its
// errors are Refund's, and one wrapping [ErrFull] when the key's log has
// no entry free inside its window (charges overdrew it by more than
// [WithMaxEntries] entries hold): the charge then stores nothing.
func (s *Store) Charge(_ context.Context, key string, rates ratelimit.Rates, n int64) (d ratelimit.Decision, err error) {
	err = s.settle(&d, key, rates, n, 0, true)
	return
}

// settle is Refund (of a take at at) and Charge (charge set) into d.
func (s *Store) settle(d *ratelimit.Decision, key string, rates ratelimit.Rates, n, at int64, charge bool) error {
	if err := s.fits(rates); err != nil {
		return err
	}
	if err := core.ValidateSettle(rates, n); err != nil {
		return fmt.Errorf("mpstore: key %q: %w", key, err)
	}
	k := newKeyForm(key, s.lay.keyLen)
	return s.locked(d, func(now int64) error {
		if s.alg != algLog {
			return s.settleConst(d, &k, rates, n, at, now, charge)
		}
		return s.settleLog(d, &k, rates, n, at, now, charge)
	})
}

// settleLog is settle under the log; the caller holds the lock.
func (s *Store) settleLog(d *ratelimit.Decision, k *keyForm, rates ratelimit.Rates, n, at, now int64, charge bool) error {
	slot, free, found, err := s.find(k)
	if err != nil {
		return err
	}
	keep := rates.Largest().IntervalMillis()
	l := &s.log
	if !found {
		if charge && n > 0 {
			if err := s.claimLog(k, free, now, keep, n, rates.Smallest().Limit); err != nil {
				return err
			}
			core.DecideLog(d, rates, now, 0, l)
			return nil
		}
		core.DecideLog(d, rates, now, 0, emptyLog{})
		return nil
	}
	// Decided once before the change too, for its checks of the entries
	// it reads: a damaged log is left as it is.
	if core.DecideLog(d, rates, now, 0, l); l.bad != "" {
		return s.errDamaged(slot, k.key, l.bad)
	}
	s.keepFor(l, keep)
	switch {
	case charge && n > 0:
		ts, room := s.stamp(l, now)
		if l.bad == "" && !room {
			return fmt.Errorf("%w: key %q: its log holds %d entries inside the last %dms, a charge needs one more (WithMaxEntries)", ErrFull, k.key, l.len(), keep)
		}
		// No entry holds more than its wmax: a charge added to the
		// newest entry may make it hold more than the smallest limit.
		most := rates.Smallest().Limit
		if newest, ok := l.newest(); ok && ts == newest {
			most = max(most, l.bHi-l.beforeAt(l.tail-1)+n)
		}
		if l.bad == "" {
			l.add(ts, n, most)
		}
	case !charge:
		if l.refund(at, n) {
			s.m.forgetIdleHint() // the key may go idle sooner than the hint says
		}
	}
	if l.bad == "" {
		core.DecideLog(d, rates, now, 0, l)
	}
	if l.bad != "" {
		return s.errDamaged(slot, k.key, l.bad)
	}
	return nil
}

// settleConst is settle under GCRA or the counter; the caller holds the
// lock.
func (s *Store) settleConst(d *ratelimit.Decision, k *keyForm, rates ratelimit.Rates, n, at, now int64, charge bool) error {
	c, err := s.loadConst(k, rates, now)
	if err != nil {
		return err
	}
	st := &s.st
	if charge {
		err = st.Charge(d, rates, now, n)
	} else {
		err = st.Refund(d, rates, now, at, n)
	}
	if err != nil {
		return fmt.Errorf("mpstore: %w", err)
	}
	if !c.found && (!charge || n == 0) {
		return nil // a key with no slot stays without one
	}
	if !charge {
		s.m.forgetIdleHint() // the key may go idle sooner than the hint says
	}
	return s.storeConst(k, c, now)
}
