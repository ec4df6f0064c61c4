package ratelimit

import "time"

// Algorithm names an admission algorithm. A store that supports several
// selects one by this name; every store implements each algorithm it offers
// with the same rules, window edges included, and package ratelimittest
// checks that they agree.
type Algorithm string

// The algorithms.
const (
	// AlgorithmSlidingWindowLog is the exact sliding-window log of
	// [SlidingWindowLog], the default.
	AlgorithmSlidingWindowLog Algorithm = "sliding-window-log"
	// AlgorithmGCRA is [GCRA], the token bucket in one number per rate.
	AlgorithmGCRA Algorithm = "gcra"
	// AlgorithmSlidingWindowCounter is [SlidingWindowCounter], the
	// two-window approximation in three numbers per rate.
	AlgorithmSlidingWindowCounter Algorithm = "sliding-window-counter"
)

// WindowLog is what [SlidingWindowLog] needs to know of a bucket's log of
// admitted units, read inside the store's atomic step.
type WindowLog interface {
	// CountSince returns the number of stored units stamped at or after since.
	// rate is the index, in the bucket's Rates, of the rate asking: a store may
	// keep a cursor per rate to answer in O(1) amortized time.
	CountSince(rate int, since int64) int64
	// NthNewest returns the timestamp of the k-th newest stored unit (0 is the
	// newest) and whether there is one.
	NthNewest(k int64) (int64, bool)
}

// SlidingWindowLog is the exact sliding-window log (PyrateLimiter's algorithm,
// made consistent):
//
//   - a unit admitted at ts counts for a rate at time now while
//     ts >= now - interval: the lower edge is inclusive, and units stamped
//     after now count too;
//   - rates are checked by ascending interval; the first rate with fewer than
//     weight units left denies the put, and nothing is stored;
//   - a denial's retry-after, for each rate that denies, is
//     bound.ts + interval - now + 1ms, where bound is the (limit-weight)-th
//     newest unit (0-based); the decision reports the largest over the
//     denying rates, so one wait satisfies them all (PyrateLimiter reports the
//     first only, and its retry can fail again on a longer rate);
//   - a weight above the smallest limit never fits: RetryAfter is [Never].
//
// Its zero value is ready to use.
type SlidingWindowLog struct{}

// Decide judges item against rates over log, storing nothing. The caller
// stores item.Weight units at item.Time if the decision allows it (and the
// weight is not 0).
func (a SlidingWindowLog) Decide(rates Rates, item Item, log WindowLog) Decision {
	var d Decision
	a.DecideInto(&d, rates, item, log)
	return d
}

// DecideInto is [SlidingWindowLog.Decide] writing into *d, for a store's hot
// path: a Decision is too large to travel in registers, and copying one
// returned by value costs more than the decision itself.
func (SlidingWindowLog) DecideInto(d *Decision, rates Rates, item Item, log WindowLog) {
	// Locals, not *d built field by field: each field is stored once, at the
	// end, which keeps this path free of store-forwarding stalls.
	allowed, rate, remaining, retry := true, Rate{}, int64(-1), time.Duration(0)
	for i, r := range rates {
		interval := r.IntervalMillis()
		left := r.Limit - log.CountSince(i, item.Time-interval)
		if left < item.Weight {
			if allowed {
				allowed, rate, remaining = false, r, max(left, 0)
			}
			wait := Never
			if item.Weight <= r.Limit {
				if ts, ok := log.NthNewest(r.Limit - item.Weight); ok {
					wait = millis(max(ts+interval-item.Time+1, 1))
				}
			}
			retry = max(retry, wait)
			continue
		}
		if allowed && (remaining < 0 || left-item.Weight < remaining) {
			rate, remaining = r, left-item.Weight
		}
	}
	newest, ok := log.NthNewest(0)
	if allowed && item.Weight > 0 && (!ok || item.Time > newest) {
		newest, ok = item.Time, true
	}
	var reset time.Duration
	if ok {
		reset = millis(max(newest+rate.IntervalMillis()-item.Time+1, 0))
	}
	d.Allowed, d.Rate, d.Remaining, d.RetryAfter, d.ResetAfter, d.Time = allowed, rate, remaining, retry, reset, item.Time
}

func millis(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
