package memorystore

import ratelimit "github.com/gorate/ratelimit/core"

// entry is a run of units put under one name at one timestamp.
type entry struct {
	ts     int64
	before int64 // units stored before this entry, counted from the log's start
	weight int64
	name   string
}

// unitLog is a sliding-window log of units sorted by timestamp, kept in a ring
// of entries addressed by absolute sequence numbers [head, tail). It keeps one
// cursor per rate at the first entry inside that rate's window, so counting is
// O(1) amortized while time moves forward. Entries of the same name and
// timestamp are merged, so a log never holds more entries than there are
// milliseconds in its largest window. It is not safe for concurrent use.
type unitLog struct {
	buf    []entry
	head   int64
	tail   int64
	total  int64 // units ever stored: the before of the next entry
	cursor []int64
}

var _ ratelimit.WindowLog = (*unitLog)(nil)

func newUnitLog(rates int) *unitLog {
	return &unitLog{cursor: make([]int64, rates)}
}

func (l *unitLog) at(seq int64) *entry { return &l.buf[seq&int64(len(l.buf)-1)] }

func (l *unitLog) empty() bool { return l.head == l.tail }

// count returns the number of stored units.
func (l *unitLog) count() int64 {
	if l.empty() {
		return 0
	}
	return l.total - l.at(l.head).before
}

// CountSince counts the units stamped at or after since, moving the rate's
// cursor to the first such entry.
func (l *unitLog) CountSince(rate int, since int64) int64 {
	c := max(l.cursor[rate], l.head)
	c = min(c, l.tail)
	for c < l.tail && l.at(c).ts < since {
		c++
	}
	for c > l.head && l.at(c-1).ts >= since {
		c--
	}
	l.cursor[rate] = c
	if c == l.tail {
		return 0
	}
	return l.total - l.at(c).before
}

// NthNewest returns the timestamp of the k-th newest unit.
func (l *unitLog) NthNewest(k int64) (int64, bool) {
	e := l.find(k)
	if e == nil {
		return 0, false
	}
	return e.ts, true
}

// find returns the entry holding the k-th newest unit, or nil.
func (l *unitLog) find(k int64) *entry {
	if k < 0 || k >= l.count() {
		return nil
	}
	u := l.total - 1 - k // the unit's ordinal
	if e := l.at(l.tail - 1); e.before <= u {
		return e
	}
	lo, hi := l.head, l.tail-1 // the answer is in [lo, hi)
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if l.at(mid).before <= u {
			lo = mid
		} else {
			hi = mid
		}
	}
	return l.at(lo)
}

// insert stores weight units of name at ts, keeping the log sorted. When the
// ring is full it first drops entries older than reclaim, which count for no
// rate at ts, and grows only if that frees nothing.
func (l *unitLog) insert(name string, ts, weight, reclaim int64) {
	if !l.empty() {
		if last := l.at(l.tail - 1); last.ts == ts && last.name == name {
			last.weight += weight
			l.total += weight
			return
		}
	}
	if l.tail-l.head == int64(len(l.buf)) {
		l.leak(reclaim)
		if l.tail-l.head == int64(len(l.buf)) {
			l.grow()
		}
	}
	p := l.tail
	for p > l.head && l.at(p-1).ts > ts {
		p-- // out of order: rare, since callers stamp under the lock
	}
	before := l.total
	for s := l.tail; s > p; s-- {
		e := l.at(s)
		*e = *l.at(s - 1)
		before = e.before
		e.before += weight
	}
	*l.at(p) = entry{ts: ts, before: before, weight: weight, name: name}
	l.tail++
	l.total += weight
}

func (l *unitLog) grow() {
	n := max(2*len(l.buf), 4)
	buf := make([]entry, n)
	for s := l.head; s < l.tail; s++ {
		buf[s&int64(n-1)] = *l.at(s)
	}
	l.buf = buf
}

// leak drops the entries stamped before bound and returns their units.
func (l *unitLog) leak(bound int64) int64 {
	start := l.count()
	for !l.empty() && l.at(l.head).ts < bound {
		*l.at(l.head) = entry{} // release the name
		l.head++
	}
	return start - l.count()
}

// flush drops every entry.
func (l *unitLog) flush() {
	for !l.empty() {
		*l.at(l.head) = entry{}
		l.head++
	}
}

// item returns the k-th newest unit as the item it was put with.
func (l *unitLog) item(k int64) (ratelimit.Item, bool) {
	e := l.find(k)
	if e == nil {
		return ratelimit.Item{}, false
	}
	return ratelimit.Item{Name: e.name, Time: e.ts, Weight: e.weight}, true
}

// newest returns the newest entry's timestamp.
func (l *unitLog) newest() (int64, bool) {
	if l.empty() {
		return 0, false
	}
	return l.at(l.tail - 1).ts, true
}
