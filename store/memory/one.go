package memorystore

import (
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// decide judges n units at now against rates into d as core.DecideLog does
// over the log, whose cursors must be those of rates, and with take stores
// them if allowed. One rate, the commonest case, is judged by decideOne.
func (l *unitLog) decide(d *ratelimit.Decision, rates ratelimit.Rates, now, n int64, take bool) {
	if len(rates) == 1 {
		l.decideOne(d, rates[0], now, n, take)
		return
	}
	core.DecideLog(d, rates, now, n, l)
	if take && d.Allowed && n > 0 {
		l.insert(now, n)
	}
}

// ownOne reports whether rates are one rate under the log, in the slice of
// the key's last take: a take that decideOne judges alone.
func (l *unitLog) ownOne(rates ratelimit.Rates) bool {
	return len(rates) == 1 && l.cst == nil && sameSlice(l.rates, rates)
}

// decideOne is decide for the one rate r, whose cursor is the log's first:
// the decision of core.DecideLog, read from the log's fields rather than
// through the calls of core.WindowLog, which cost more than the rest of a
// take. TestLogMatchesModel and TestDecideOneMatchesCore hold it to
// core.DecideLog.
func (l *unitLog) decideOne(d *ratelimit.Decision, r ratelimit.Rate, now, n int64, take bool) {
	interval := r.IntervalMillis()
	left := r.Limit - l.countFrom(&l.cur[0], now-interval)
	allowed, remaining, retry := left >= n, left-n, time.Duration(0)
	if !allowed {
		remaining, retry = max(left, 0), l.retryOne(r, interval, now, n)
	}
	// ResetAfter counts from the newest unit, this take's if it adds one.
	newest, ok := l.newestTs, !l.empty()
	if allowed && n > 0 && (!ok || now > newest) {
		newest, ok = now, true
	}
	var reset time.Duration
	if ok {
		reset = time.Duration(max(newest+interval-now+1, 0)) * time.Millisecond
	}
	d.Allowed, d.Rate, d.Remaining, d.RetryAfter, d.ResetAfter, d.At = allowed, r, remaining, retry, reset, now
	if take && allowed && n > 0 {
		l.insert(now, n)
	}
}

// retryOne is decideOne's RetryAfter for a denial of n units under r.
func (l *unitLog) retryOne(r ratelimit.Rate, interval, now, n int64) time.Duration {
	if n <= r.Limit {
		if ts, ok := l.NthNewest(r.Limit - n); ok {
			return time.Duration(max(ts+interval-now+1, 1)) * time.Millisecond
		}
	}
	return ratelimit.Never
}
