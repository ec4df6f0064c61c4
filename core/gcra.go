package core

import (
	"time"

	"github.com/gorate/ratelimit"
)

// MaxExact bounds what the constant-state algorithms compute: for each rate,
// limit × interval in milliseconds must not exceed it, so that every product
// they form is exact in an int64, a Lua number and a SQL bigint alike.
const MaxExact = 1 << 53

// GCRAState is what [ratelimit.GCRA] keeps for one rate: the theoretical arrival time,
// TAT milliseconds plus Rem/limit of a millisecond (0 <= Rem < limit), so
// that the emission interval interval/limit is exact. Its zero value is a
// rate with no history.
type GCRAState struct{ TAT, Rem int64 }

// gcraDecide judges weight units at now (milliseconds) against rates, with
// state holding one GCRAState per rate, and writes the decision into d. If
// it allows a positive weight, it advances state in place; otherwise state
// is unchanged.
func gcraDecide(d *ratelimit.Decision, rates ratelimit.Rates, now, weight int64, state []GCRAState) {
	allowed, rate, remaining, retry, reset := true, ratelimit.Rate{}, int64(-1), time.Duration(0), int64(0)
	// The first rates' states after the take, kept to apply an admission
	// without dividing again.
	var nexts [4]GCRAState
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
			retry = ratelimit.Never
			continue
		}
		next := gcraAdd(base, weight, limit, interval)
		if next.TAT > now+interval || (next.TAT == now+interval && next.Rem > 0) {
			if allowed {
				allowed, rate, remaining, reset = false, r, gcraFit(base, now, limit, interval), gcraUntil(base, now)
			}
			if retry != ratelimit.Never {
				// The weight fits once now' + interval >= next: next does not
				// move while now' <= base.TAT.
				retry = max(retry, millis(gcraUntil(next, now+interval)))
			}
			continue
		}
		if !allowed {
			continue // an earlier rate denied: this one's remaining is not reported
		}
		if left := gcraFit(next, now, limit, interval); remaining < 0 || left < remaining {
			rate, remaining, reset = r, left, gcraUntil(next, now)
		}
		if i < len(nexts) {
			nexts[i] = next
		}
	}
	if allowed && weight > 0 {
		for i, r := range rates {
			if i < len(nexts) {
				state[i] = nexts[i]
				continue
			}
			base := state[i]
			if base.TAT < now {
				base = GCRAState{TAT: now}
			}
			state[i] = gcraAdd(base, weight, r.Limit, r.IntervalMillis())
		}
	}
	d.Allowed, d.Rate, d.Remaining, d.RetryAfter, d.ResetAfter, d.At = allowed, rate, remaining, retry, millis(reset), now
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
