package core

import (
	"fmt"

	"github.com/gorate/ratelimit"
)

// ValidateSettle reports whether n units may be refunded or charged under
// rates: n must be from 0 to the smallest limit (no take admits more, and
// larger weights would leave the exact arithmetic of GCRA). The error wraps
// [ratelimit.ErrInvalidArgument] and names n; rates are not checked here.
func ValidateSettle(rates ratelimit.Rates, n int64) error {
	if n < 0 {
		return fmt.Errorf("%w: %d units is negative", ratelimit.ErrInvalidArgument, n)
	}
	if len(rates) > 0 && n > rates.Smallest().Limit {
		return fmt.Errorf("%w: %d units is more than the smallest limit, %v", ratelimit.ErrInvalidArgument, n, rates.Smallest())
	}
	return nil
}

// Refund gives back to s, at now (milliseconds), n units of a take admitted
// at at, under rates (carrying the state over to them first if they differ
// from s.Rates, as [State.Decide] does). For each rate:
//   - the sliding-window counter takes n units, at most all it holds, off
//     the window that holds at, if that is the current or the previous one,
//     and otherwise nothing: the units of older windows no longer count;
//   - GCRA moves the theoretical arrival time back by the part of the take
//     not yet emitted at now, reckoned as if the take had found no backlog
//     (its units emitted from at on): exact when it found none, and
//     otherwise short by at most the backlog it found, so that a refund
//     never leaves more room than the take used. Nothing is given back once
//     at + n emission intervals has passed.
//
// A time at after now (another clock's reading) gives back nothing. n is
// checked by [ValidateSettle]. Refund writes into d the key's standing
// after it: the decision on a take of 0 units at now.
func (s *State) Refund(d *ratelimit.Decision, rates ratelimit.Rates, now, at, n int64) error {
	if err := s.settle(rates, now, n); err != nil {
		return err
	}
	if at <= now {
		s.refund(rates, now, at, n)
	}
	return s.Decide(d, rates, now, 0, true)
}

// refund is Refund's change of s, once s holds one entry per rate.
func (s *State) refund(rates ratelimit.Rates, now, at, n int64) {
	for i, r := range rates {
		limit, interval := r.Limit, r.IntervalMillis()
		if s.Algorithm == ratelimit.GCRA {
			s.GCRA[i] = gcraRefund(s.GCRA[i], now, at, n, limit, interval)
			continue
		}
		c := counterRoll(s.Counter[i], now, interval)
		switch {
		case at >= c.Start:
			c.Cur -= min(n, c.Cur)
		case at >= c.Start-interval:
			c.Prev -= min(n, c.Prev)
		}
		s.Counter[i] = c
	}
}

// Charge takes n units under s at now whatever the limits: a take's excess
// settled after the fact. It may overdraw a rate, so that the key's next
// decisions are denials until the excess has expired (the counter's
// windows have moved on, or GCRA's theoretical arrival time is within an
// interval of the time again), as after a lowered limit. n is checked by
// [ValidateSettle]. Charge writes into d the key's standing after it, as
// Refund does: not allowed while a rate is overdrawn.
func (s *State) Charge(d *ratelimit.Decision, rates ratelimit.Rates, now, n int64) error {
	if err := s.settle(rates, now, n); err != nil {
		return err
	}
	s.charge(rates, now, n)
	return s.Decide(d, rates, now, 0, true)
}

// charge is Charge's change of s, once s holds one entry per rate.
func (s *State) charge(rates ratelimit.Rates, now, n int64) {
	for i, r := range rates {
		limit, interval := r.Limit, r.IntervalMillis()
		if s.Algorithm == ratelimit.GCRA {
			base := s.GCRA[i]
			if base.TAT < now {
				base = GCRAState{TAT: now}
			}
			s.GCRA[i] = gcraAdd(base, n, limit, interval)
			continue
		}
		c := counterRoll(s.Counter[i], now, interval)
		c.Cur += n
		s.Counter[i] = c
	}
}

// settle checks n and moves s to rates for a refund or a charge at now.
func (s *State) settle(rates ratelimit.Rates, now, n int64) error {
	if err := ValidateSettle(rates, n); err != nil {
		return err
	}
	if !same(s.Rates, rates) || !s.consistent() {
		return s.carry(rates, now)
	}
	return nil
}

// gcraRefund returns s with n units of a take at at given back at now:
// the emission time from now to end, where end is at advanced by n
// emission intervals, at most the time s lies after now.
func gcraRefund(s GCRAState, now, at, n, limit, interval int64) GCRAState {
	// end lies at most interval after now (at <= now, n <= limit), and so
	// does s where it bounds back: every product is exact.
	back := gcraAfter(gcraAdd(GCRAState{TAT: at}, n, limit, interval), now, limit)
	if s.TAT-now <= interval {
		back = min(back, gcraAfter(s, now, limit))
	}
	if back <= 0 {
		return s
	}
	s.TAT -= back / limit
	s.Rem -= back % limit
	if s.Rem < 0 {
		s.Rem += limit
		s.TAT--
	}
	return s
}

// gcraAfter returns how far s lies after now, in 1/limit ms, or 0 if it
// does not; s must lie at most interval after now.
func gcraAfter(s GCRAState, now, limit int64) int64 {
	ms := s.TAT - now
	if ms < 0 {
		return 0
	}
	return ms*limit + s.Rem
}
