package memorystore

import (
	"math"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// entry is a run of units put under one name at one timestamp. Its weight is
// the next entry's before minus its own (the log's total for the newest).
// Entries hold no pointers, so the garbage collector never scans a log.
type entry struct {
	ts     int64
	before int64 // units stored before this entry, counted from the log's start
}

// unitLog is a sliding-window log of units sorted by timestamp, kept in a ring
// of entries addressed by absolute sequence numbers [head, tail). Entries of
// the same name and timestamp are merged, so a log never holds more entries
// than there are milliseconds in its largest window.
//
// Each rate has a cursor at the first entry inside its window, which moves
// forward with time: counting is O(1) amortized, and the cursor caches that
// entry's fields, so that a put which moves no cursor reads only the log's
// header and never the ring. It is not safe for concurrent use.
type unitLog struct {
	// The fields are grouped by cache line (the struct is 256 bytes, a size
	// class whose objects start on line boundaries): first what every put
	// reads and writes, then lookup and cursors, then the cursors' storage,
	// then what only a log of several names uses.
	head     int64
	tail     int64
	total    int64 // units ever stored: the before of the next entry
	newestTs int64 // the newest entry's timestamp, when not empty
	floor    int64 // the latest clock reading a put or leak applied to the log
	buf      []entry

	key     string // the Store key the log belongs to ("" outside a Store)
	cursors []cursor
	// name is the name of every entry while names is nil; names, parallel to
	// buf, is made only once a second name is put.
	name    string
	dropped int64 // units ever removed: the before of the head entry

	small [2]cursor // cursors' backing array for up to two rates

	names []string
	// cst is the state of a constant-state algorithm (GCRA, the counter);
	// such a log keeps no entries.
	cst *ratelimit.KeyState
	_   [32]byte
}

// cursor is one rate's position in a log: seq is the first entry stamped at
// or after since; ts and before copy that entry's fields while seq < tail.
// A since of maxTime marks a cursor that must be sought again.
type cursor struct {
	seq    int64
	since  int64
	ts     int64
	before int64
}

const maxTime = int64(1<<63 - 1)

// valid reports whether c's cached entry is l's entry at c.seq.
func (c *cursor) valid(l *unitLog) bool {
	return c.since != maxTime && c.seq >= l.head && c.seq < l.tail
}

var _ ratelimit.WindowLog = (*unitLog)(nil)

func newUnitLog(rates int, key string) *unitLog {
	l := &unitLog{key: key, name: key, floor: math.MinInt64}
	if rates <= len(l.small) {
		l.cursors = l.small[:rates]
	} else {
		l.cursors = make([]cursor, rates)
	}
	for i := range l.cursors {
		l.cursors[i].since = maxTime
	}
	return l
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
func (l *unitLog) count() int64 { return l.total - l.dropped }

// CountSince counts the units stamped at or after since, moving the rate's
// cursor to the first such entry.
func (l *unitLog) CountSince(rate int, since int64) int64 {
	c := &l.cursors[rate]
	if c.seq < l.head || since < c.since {
		l.seek(c, since)
	} else {
		for c.seq < l.tail && c.ts < since {
			c.seq++
			l.load(c)
		}
		c.since = since
	}
	if c.seq == l.tail {
		return 0
	}
	return l.total - c.before
}

// seek places c at the first entry stamped at or after since, from wherever
// it stands.
func (l *unitLog) seek(c *cursor, since int64) {
	s := min(max(c.seq, l.head), l.tail)
	for s < l.tail && l.at(s).ts < since {
		s++
	}
	for s > l.head && l.at(s-1).ts >= since {
		s--
	}
	c.seq, c.since = s, since
	l.load(c)
}

// load copies the fields of the entry at c.seq into c.
func (l *unitLog) load(c *cursor) {
	if c.seq < l.tail {
		e := l.at(c.seq)
		c.ts, c.before = e.ts, e.before
	}
}

// NthNewest returns the timestamp of the k-th newest unit. The newest, and
// the oldest unit inside a rate's window (what a denial of weight 1 on a
// full window asks for), come from the log's header, not its ring.
func (l *unitLog) NthNewest(k int64) (int64, bool) {
	if k == 0 && !l.empty() {
		return l.newestTs, true
	}
	u := l.total - 1 - k
	for i := range l.cursors {
		if c := &l.cursors[i]; c.valid(l) && c.before == u {
			return c.ts, true
		}
	}
	s, ok := l.find(k)
	if !ok {
		return 0, false
	}
	return l.at(s).ts, true
}

// find returns the sequence number of the entry holding the k-th newest unit.
// The rates' cursors narrow the search: on a denial, the unit sought is
// usually the oldest inside the denying rate's window, the cursor's own entry.
func (l *unitLog) find(k int64) (int64, bool) {
	if k < 0 || k >= l.count() {
		return 0, false
	}
	u := l.total - 1 - k       // the unit's ordinal
	lo, hi := l.head, l.tail-1 // the entry sought is in [lo, hi]
	for i := range l.cursors {
		if c := &l.cursors[i]; c.valid(l) {
			if c.before <= u {
				lo = max(lo, c.seq)
			} else {
				hi = min(hi, c.seq-1)
			}
		}
	}
	if lo == hi || l.at(lo+1).before > u {
		return lo, true
	}
	if l.at(hi).before <= u {
		return hi, true
	}
	for hi-lo > 1 { // invariant: at(lo).before <= u < at(hi).before
		mid := lo + (hi-lo)/2
		if l.at(mid).before <= u {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, true
}

// stamp returns the timestamp for a put whose clock read now before the
// caller took its lock: now, or the latest clock reading already applied to
// the log if a put or a sweep that read the clock later took the lock first.
// Stamps thus never go back in lock order, and no unit a put should count
// was leaked by a later reading: the log decides exactly as if the clock
// were read under the lock. Each stamp lies between the put's clock read and
// the moment it took the lock.
func (l *unitLog) stamp(now int64) int64 {
	l.advance(now)
	return l.floor
}

// advance records now, a reading of the log's clock, as one that later
// stamps must not go below: call it before a leak driven by the clock.
func (l *unitLog) advance(now int64) { l.floor = max(l.floor, now) }

// insert stores weight units of name at ts, keeping the log sorted. When the
// ring is full it first drops entries older than reclaim, which count for no
// rate at ts, and grows only if that frees nothing.
func (l *unitLog) insert(name string, ts, weight, reclaim int64) {
	if l.empty() {
		if l.names == nil {
			l.name = name
		}
	} else if ts == l.newestTs && l.nameAt(l.tail-1) == name {
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
	if l.empty() || ts >= l.newestTs {
		l.append(name, ts, weight)
		return
	}
	// Out of order: rare, since callers stamp under the lock. Shift the
	// newer entries up by one and make every cursor seek again.
	p := l.tail
	for p > l.head && l.at(p-1).ts > ts {
		p--
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
	for i := range l.cursors {
		l.cursors[i].since = maxTime
	}
}

// append adds an entry newer than every other; the ring has room.
func (l *unitLog) append(name string, ts, weight int64) {
	*l.at(l.tail) = entry{ts: ts, before: l.total}
	if l.names != nil {
		l.names[l.slot(l.tail)] = name
	}
	for i := range l.cursors {
		if c := &l.cursors[i]; c.seq == l.tail {
			c.ts, c.before = ts, l.total
		}
	}
	l.tail++
	l.total += weight
	l.newestTs = ts
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
	if l.cst != nil {
		l.cst.Reset()
		return
	}
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
	if l.empty() {
		l.dropped = l.total
	} else {
		l.dropped = l.at(l.head).before
	}
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
func (l *unitLog) newest() (int64, bool) { return l.newestTs, !l.empty() }
