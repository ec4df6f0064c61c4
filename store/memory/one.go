package memorystore

import (
	"slices"
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
// the key's last take: a take that decideOne judges alone. (Only the log
// sets l.rates: under the other algorithms it stays nil.)
func (l *unitLog) ownOne(rates ratelimit.Rates) bool {
	return len(rates) == 1 && sameSlice(l.rates, rates)
}

// sameRates reports whether rates are those of the key's last take, under
// any algorithm: a take under them changes neither the key's rates nor its
// shard's schedule.
func (l *unitLog) sameRates(rates ratelimit.Rates) bool {
	own := l.rates
	if l.cst != nil {
		own = l.cst.Rates
	}
	return sameSlice(own, rates) || slices.Equal(own, rates)
}

// decideOne is decide for the one rate r, whose cursor is the log's first:
// the decision of core.DecideLog, read from the log's fields rather than
// through the calls of core.WindowLog, which cost more than the rest of a
// take. TestLogMatchesModel and TestDecideOneMatchesCore hold it to
// core.DecideLog. Its calls (to move the cursor, to deny, to add an entry)
// end it, so that the path of an admission that adds no entry makes none
// and saves nothing across one.
func (l *unitLog) decideOne(d *ratelimit.Decision, r ratelimit.Rate, now, n int64, take bool) {
	interval := r.IntervalMillis()
	c := &l.first
	if since := now - interval; since != c.since {
		l.move(c, since) // at most once a millisecond
		l.decideOne(d, r, now, n, take)
		return
	}
	left := r.Limit - l.counted(c)
	if left < n {
		l.denyOne(d, r, now, n, left)
		return
	}
	// ResetAfter counts from the newest unit, this take's if it adds one.
	newest, ok := l.newestTs, !l.empty()
	if n > 0 && (!ok || now > newest) {
		newest, ok = now, true
	}
	d.Allowed, d.Rate, d.Remaining, d.RetryAfter, d.ResetAfter, d.At = true, r, left-n, 0, resetAfter(newest, ok, interval, now), now
	if take && n > 0 {
		l.insert(now, n)
	}
}

// denyOne is decideOne's denial of n units under r, which has left units
// left. When n fits the limit, it fits once the unit the (limit-n)-th
// newest leaves the window: a unit of the cursor's entry, the oldest in the
// window, when units come one at a time, or else one NthNewest finds.
func (l *unitLog) denyOne(d *ratelimit.Decision, r ratelimit.Rate, now, n, left int64) {
	interval := r.IntervalMillis()
	retry := ratelimit.Never
	if k := r.Limit - n; k >= 0 {
		ts, ok := l.first.ts, l.first.seq != l.tail && l.first.before == l.total-1-k
		if !ok {
			ts, ok = l.NthNewest(k)
		}
		if ok {
			retry = time.Duration(max(ts+interval-now+1, 1)) * time.Millisecond
		}
	}
	d.Allowed, d.Rate, d.Remaining, d.RetryAfter, d.ResetAfter, d.At = false, r, max(left, 0), retry, resetAfter(l.newestTs, !l.empty(), interval, now), now
}

// resetAfter is the time from now until a rate of interval counts no unit,
// the newest being at newest if ok, none otherwise.
func resetAfter(newest int64, ok bool, interval, now int64) time.Duration {
	if !ok {
		return 0
	}
	return time.Duration(max(newest+interval-now+1, 0)) * time.Millisecond
}
