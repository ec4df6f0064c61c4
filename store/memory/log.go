package memorystore

import ratelimit "github.com/gorate/ratelimit/core"

// entry is a run of units put under one name at one timestamp. Its weight is
// the next entry's before minus its own (the log's total for the newest).
// Entries hold no pointers, so the garbage collector never scans a log.
type entry struct {
	ts     int64
	before int64 // units stored before this entry, counted from the log's start
}

// unitLog is a sliding-window log of units sorted by timestamp, kept in a ring
// of entries addressed by absolute sequence numbers [head, tail). It keeps one
// cursor per rate at the first entry inside that rate's window, so counting is
// O(1) amortized while time moves forward. Entries of the same name and
// timestamp are merged, so a log never holds more entries than there are
// milliseconds in its largest window. It is not safe for concurrent use.
type unitLog struct {
	buf   []entry
	head  int64
	tail  int64
	total int64 // units ever stored: the before of the next entry
	// key is the Store key the log belongs to ("" outside a Store).
	key string
	// name is the name of every entry while names is nil; names, parallel to
	// buf, is made only once a second name is put.
	name   string
	names  []string
	cursor []int64
}

var _ ratelimit.WindowLog = (*unitLog)(nil)

func newUnitLog(rates int, key string) *unitLog {
	return &unitLog{cursor: make([]int64, rates), key: key, name: key}
}

func (l *unitLog) slot(seq int64) int64 { return seq & int64(len(l.buf)-1) }

func (l *unitLog) at(seq int64) *entry { return &l.buf[l.slot(seq)] }

func (l *unitLog) nameAt(seq int64) string {
	if l.names == nil {
		return l.name
	}
	return l.names[l.slot(seq)]
}

func (l *unitLog) weightAt(seq int64) int64 {
	next := l.total
	if seq+1 < l.tail {
		next = l.at(seq + 1).before
	}
	return next - l.at(seq).before
}

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
	c := min(max(l.cursor[rate], l.head), l.tail)
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
	s, ok := l.find(k)
	if !ok {
		return 0, false
	}
	return l.at(s).ts, true
}

// find returns the sequence number of the entry holding the k-th newest unit.
func (l *unitLog) find(k int64) (int64, bool) {
	if k < 0 || k >= l.count() {
		return 0, false
	}
	u := l.total - 1 - k // the unit's ordinal
	if l.at(l.tail-1).before <= u {
		return l.tail - 1, true
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
	return lo, true
}

// insert stores weight units of name at ts, keeping the log sorted. When the
// ring is full it first drops entries older than reclaim, which count for no
// rate at ts, and grows only if that frees nothing.
func (l *unitLog) insert(name string, ts, weight, reclaim int64) {
	if l.empty() && l.names == nil {
		l.name = name
	}
	if !l.empty() && l.at(l.tail-1).ts == ts && l.nameAt(l.tail-1) == name {
		l.total += weight // merge into the newest entry
		return
	}
	if l.names == nil && name != l.name {
		l.splitNames()
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
		if l.names != nil {
			l.names[l.slot(s)] = l.names[l.slot(s-1)]
		}
	}
	*l.at(p) = entry{ts: ts, before: before}
	if l.names != nil {
		l.names[l.slot(p)] = name
	}
	l.tail++
	l.total += weight
}

// splitNames makes the names ring, once entries stop sharing one name.
func (l *unitLog) splitNames() {
	l.names = make([]string, len(l.buf))
	for s := l.head; s < l.tail; s++ {
		l.names[l.slot(s)] = l.name
	}
}

func (l *unitLog) grow() {
	n := max(2*len(l.buf), 4)
	buf := make([]entry, n)
	var names []string
	if l.names != nil {
		names = make([]string, n)
	}
	for s := l.head; s < l.tail; s++ {
		buf[s&int64(n-1)] = *l.at(s)
		if names != nil {
			names[s&int64(n-1)] = l.names[l.slot(s)]
		}
	}
	l.buf, l.names = buf, names
}

// leak drops the entries stamped before bound and returns their units.
func (l *unitLog) leak(bound int64) int64 {
	start := l.count()
	for !l.empty() && l.at(l.head).ts < bound {
		l.drop()
	}
	return start - l.count()
}

// flush drops every entry.
func (l *unitLog) flush() {
	for !l.empty() {
		l.drop()
	}
}

// drop removes the oldest entry.
func (l *unitLog) drop() {
	if l.names != nil {
		l.names[l.slot(l.head)] = "" // release the string
	}
	l.head++
}

// item returns the k-th newest unit as the item it was put with.
func (l *unitLog) item(k int64) (ratelimit.Item, bool) {
	s, ok := l.find(k)
	if !ok {
		return ratelimit.Item{}, false
	}
	return ratelimit.Item{Name: l.nameAt(s), Time: l.at(s).ts, Weight: l.weightAt(s)}, true
}

// newest returns the newest entry's timestamp.
func (l *unitLog) newest() (int64, bool) {
	if l.empty() {
		return 0, false
	}
	return l.at(l.tail - 1).ts, true
}
