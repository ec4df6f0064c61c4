package core

import (
	"time"

	"github.com/gorate/ratelimit"
)

// CounterState is what [ratelimit.SlidingWindowCounter] keeps for one rate: the start
// of the current fixed window (a multiple of the interval, in milliseconds)
// and the units admitted in it (Cur) and in the window before it (Prev).
// Its zero value is a rate with no history.
type CounterState struct{ Start, Prev, Cur int64 }

// counterDecide judges weight units at now against rates, with state
// holding one CounterState per rate, and writes the decision into d. It
// rolls each rate's windows forward to now whatever it decides, and adds a
// positive weight to every rate's current window if all admit it.
func counterDecide(d *ratelimit.Decision, rates ratelimit.Rates, now, weight int64, state []CounterState) {
	allowed, rate, remaining, retry, reset := true, ratelimit.Rate{}, int64(-1), time.Duration(0), int64(0)
	for i, r := range rates {
		limit, interval := r.Limit, r.IntervalMillis()
		s := counterRoll(state[i], now, interval)
		state[i] = s
		e := max(now-s.Start, 0)
		used := s.Prev*(interval-e) + s.Cur*interval // in units × interval
		room := limit*interval - used
		if weight > limit || room < weight*interval {
			if allowed {
				allowed, rate, remaining, reset = false, r, max(room/interval, 0), counterReset(s, now, interval)
			}
			if weight > limit || retry == ratelimit.Never {
				retry = ratelimit.Never
			} else {
				retry = max(retry, millis(counterWait(s, now, weight, limit, interval)))
			}
			continue
		}
		if left := (room - weight*interval) / interval; allowed && (remaining < 0 || left < remaining) {
			next := s
			if weight > 0 {
				next.Cur += weight
			}
			rate, remaining, reset = r, left, counterReset(next, now, interval)
		}
	}
	if allowed && weight > 0 {
		for i := range rates {
			state[i].Cur += weight
		}
	}
	d.Allowed, d.Rate, d.Remaining, d.RetryAfter, d.ResetAfter, d.At = allowed, rate, remaining, retry, millis(reset), now
}

// counterRoll moves s to the window holding now.
func counterRoll(s CounterState, now, interval int64) CounterState {
	start := now - mod(now, interval)
	switch {
	case start <= s.Start:
		return s // the same window, or a time before it
	case start == s.Start+interval:
		return CounterState{Start: start, Prev: s.Cur}
	default:
		return CounterState{Start: start}
	}
}

// counterWait returns the milliseconds from now until weight fits s, given
// that it does not fit now and weight <= limit.
func counterWait(s CounterState, now, weight, limit, interval int64) int64 {
	// In the current window, at e ms in: Prev·(interval − e) <= (limit −
	// Cur − weight)·interval.
	if a := limit - s.Cur - weight; a >= 0 && s.Prev > 0 {
		e := interval - a*interval/s.Prev
		if at := s.Start + e; at < s.Start+interval {
			return max(at-now, 1)
		}
	}
	// In the next window, where Cur becomes Prev: Cur·(interval − e) <=
	// (limit − weight)·interval.
	next := s.Start + interval
	if s.Cur == 0 {
		return max(next-now, 1)
	}
	e := max(interval-(limit-weight)*interval/s.Cur, 0)
	return max(next+e-now, 1)
}

// counterReset returns the milliseconds from now until s counts nothing.
func counterReset(s CounterState, now, interval int64) int64 {
	switch {
	case s.Cur > 0:
		return max(s.Start+2*interval-now, 0)
	case s.Prev > 0:
		return max(s.Start+interval-now, 0)
	}
	return 0
}

// mod returns x mod m in [0, m) for m > 0.
func mod(x, m int64) int64 {
	r := x % m
	if r < 0 {
		r += m
	}
	return r
}
