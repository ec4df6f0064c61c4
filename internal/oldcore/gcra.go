package ratelimit

import (
	"fmt"
	"time"
)

// MaxExact bounds what the constant-state algorithms compute: for each rate,
// limit × interval in milliseconds must not exceed it, so that every product
// they form is exact in an int64, a Lua number and a SQL bigint alike.
const MaxExact = 1 << 53

// GCRAState is what [GCRA] keeps for one rate: the theoretical arrival time,
// TAT milliseconds plus Rem/limit of a millisecond (0 <= Rem < limit), so
// that the emission interval interval/limit is exact. Its zero value is a
// rate with no history.
type GCRAState struct{ TAT, Rem int64 }

// GCRA is the generic cell rate algorithm, the token bucket in one number
// per rate: each rate of limit units per interval emits a unit every
// T = interval/limit and allows a burst of limit, so that in any span of
// time t (both ends included) it admits at most limit + floor(t/T) units:
// up to 2×limit in one window of an interval with both edges included, the
// window the exact log never lets hold more than limit. Rates are checked
// together and updated only if all admit the weight (all-or-nothing, like
// the log).
//
//   - a put of weight w at now fits a rate when max(TAT, now) + w·T <= now +
//     interval; on admission TAT becomes max(TAT, now) + w·T;
//   - Remaining is how many more units fit the rate now; a denial reports
//     the first rate that denies (by ascending interval), and its RetryAfter
//     is the largest wait over every denying rate, to the millisecond,
//     rounded up; a weight above a rate's limit never fits (Never);
//   - ResetAfter is the time until the rate is back to its full burst.
//
// Its zero value is ready to use. Rates must pass [GCRA.Validate].
type GCRA struct{}

// Validate reports an error wrapping [ErrInvalidRates] when a rate's limit ×
// interval (ms) exceeds [MaxExact].
func (GCRA) Validate(rates Rates) error { return validateExact(rates) }

func validateExact(rates Rates) error {
	for _, r := range rates {
		if r.IntervalMillis() > MaxExact/r.Limit {
			return fmt.Errorf("%w: %v: limit × interval in ms exceeds 2^53, beyond exact arithmetic", ErrInvalidRates, r)
		}
	}
	return nil
}

// DecideInto judges weight units at now (milliseconds) against rates, with
// state holding one GCRAState per rate, and writes the decision into d. If
// it allows a positive weight, it advances state in place; otherwise state
// is unchanged.
func (GCRA) DecideInto(d *Decision, rates Rates, now, weight int64, state []GCRAState) {
	allowed, rate, remaining, retry, reset := true, Rate{}, int64(-1), time.Duration(0), int64(0)
	for i, r := range rates {
		limit, interval := r.Limit, r.IntervalMillis()
		base := state[i]
		if base.TAT < now {
			base = GCRAState{TAT: now}
		}
		if weight > limit {
			if allowed {
				allowed, rate, remaining, reset = false, r, gcraFit(base, now, limit, interval), gcraUntil(base, now)
			}
			retry = Never
			continue
		}
		next := gcraAdd(base, weight, limit, interval)
		if next.TAT > now+interval || (next.TAT == now+interval && next.Rem > 0) {
			if allowed {
				allowed, rate, remaining, reset = false, r, gcraFit(base, now, limit, interval), gcraUntil(base, now)
			}
			if retry != Never {
				// The weight fits once now' + interval >= next: next does not
				// move while now' <= base.TAT.
				retry = max(retry, millis(gcraUntil(next, now+interval)))
			}
			continue
		}
		if left := gcraFit(next, now, limit, interval); allowed && (remaining < 0 || left < remaining) {
			rate, remaining, reset = r, left, gcraUntil(next, now)
		}
	}
	if allowed && weight > 0 {
		for i, r := range rates {
			base := state[i]
			if base.TAT < now {
				base = GCRAState{TAT: now}
			}
			state[i] = gcraAdd(base, weight, r.Limit, r.IntervalMillis())
		}
	}
	d.Allowed, d.Rate, d.Remaining, d.RetryAfter, d.ResetAfter, d.Time = allowed, rate, remaining, retry, millis(reset), now
}

// gcraAdd returns s advanced by weight emission intervals.
func gcraAdd(s GCRAState, weight, limit, interval int64) GCRAState {
	w := weight * interval // exact: weight <= limit, limit·interval <= MaxExact
	s.TAT += w / limit
	s.Rem += w % limit
	if s.Rem >= limit {
		s.Rem -= limit
		s.TAT++
	}
	return s
}

// gcraFit returns how many units fit at now after s: floor((now + interval
// - s) / T), at least 0.
func gcraFit(s GCRAState, now, limit, interval int64) int64 {
	room := now + interval - s.TAT // ms, at most interval
	if room <= 0 {
		return 0
	}
	return max((room*limit-s.Rem)/interval, 0)
}

// gcraUntil returns the milliseconds from at until s, rounded up, at least 0.
func gcraUntil(s GCRAState, at int64) int64 {
	d := s.TAT - at
	if s.Rem > 0 {
		d++
	}
	return max(d, 0)
}

// Count returns the units state still holds against the largest rate at
// now: those not yet emitted, rounded up. It is what a GCRA bucket's Count
// reports.
func (GCRA) Count(rates Rates, now int64, state []GCRAState) int64 {
	i := len(rates) - 1
	r, s := rates[i], state[i]
	if s.TAT < now {
		return 0
	}
	num := (s.TAT-now)*r.Limit + s.Rem // in 1/limit ms × limit
	return (num + r.IntervalMillis() - 1) / r.IntervalMillis()
}

// Idle reports whether state counts nothing at now in any rate, so that a
// store may drop it: every rate is back to its full burst.
func (GCRA) Idle(now int64, state []GCRAState) bool {
	for _, s := range state {
		if s.TAT > now || (s.TAT == now && s.Rem > 0) {
			return false
		}
	}
	return true
}
