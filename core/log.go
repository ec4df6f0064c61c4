package core

import (
	"time"

	"github.com/gorate/ratelimit"
)

// WindowLog is what [DecideLog] needs to know of a key's log of admitted
// units, read inside the store's atomic step.
type WindowLog interface {
	// CountSince returns the number of stored units stamped at or after since.
	// rate is the index, in the rates being judged, of the rate asking: a
	// store may keep a cursor per rate to answer in O(1) amortized time (and
	// must reset it when the key's rates change).
	CountSince(rate int, since int64) int64
	// NthNewest returns the timestamp of the k-th newest stored unit (0 is the
	// newest) and whether there is one.
	NthNewest(k int64) (int64, bool)
}

// DecideLog judges n units at now (milliseconds) against rates over log with
// the exact sliding-window log ([ratelimit.SlidingWindowLog]) and writes the
// decision into d, storing nothing: the caller stores n units at now if
// d.Allowed and n > 0.
//
//   - a unit admitted at ts counts for a rate at now while ts >= now -
//     interval: the lower edge is inclusive, and units stamped after now
//     count too;
//   - rates are checked by ascending interval; the first rate with fewer than
//     n units left denies the take;
//   - a denial's RetryAfter, for each rate that denies, is bound + interval -
//     now + 1ms, where bound is the timestamp of the (limit-n)-th newest unit
//     (0-based); the decision reports the largest over the denying rates, so
//     one wait satisfies them all;
//   - n above the smallest limit never fits: RetryAfter is [ratelimit.Never].
//
// d is an out-parameter because a Decision is too large to travel in
// registers: copying one returned by value costs more than the decision.
func DecideLog(d *ratelimit.Decision, rates ratelimit.Rates, now, n int64, log WindowLog) {
	// Locals, not *d built field by field: each field is stored once, at the
	// end, which keeps this path free of store-forwarding stalls.
	allowed, rate, remaining, retry := true, ratelimit.Rate{}, int64(-1), time.Duration(0)
	for i, r := range rates {
		interval := r.IntervalMillis()
		left := r.Limit - log.CountSince(i, now-interval)
		if left < n {
			if allowed {
				allowed, rate, remaining = false, r, max(left, 0)
			}
			wait := ratelimit.Never
			if n <= r.Limit {
				if ts, ok := log.NthNewest(r.Limit - n); ok {
					wait = millis(max(ts+interval-now+1, 1))
				}
			}
			retry = max(retry, wait)
			continue
		}
		if allowed && (remaining < 0 || left-n < remaining) {
			rate, remaining = r, left-n
		}
	}
	newest, ok := log.NthNewest(0)
	if allowed && n > 0 && (!ok || now > newest) {
		newest, ok = now, true
	}
	var reset time.Duration
	if ok {
		reset = millis(max(newest+rate.IntervalMillis()-now+1, 0))
	}
	d.Allowed, d.Rate, d.Remaining, d.RetryAfter, d.ResetAfter, d.At = allowed, rate, remaining, retry, reset, now
}

func millis(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
