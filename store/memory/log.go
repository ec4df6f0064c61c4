package memorystore

import (
	"math"
	"slices"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// entry is a run of units taken at one timestamp. Its weight is the next
// entry's before minus its own (the log's total for the newest). Entries
// hold no pointers, so the garbage collector never scans a log.
type entry struct {
	ts     int64
	before int64 // units stored before this entry, counted from the log's start
}

// unitLog is one key of a Store. Under the sliding-window log it is the log
// of admitted units sorted by timestamp, kept in a ring of entries addressed
// by absolute sequence numbers [head, tail); units taken at one timestamp
// share an entry, so a log never holds more entries than there are
// milliseconds in its largest window. Under GCRA and the counter it holds
// the key's core.State instead, and no entries.
//
// Each rate has a cursor at the first entry inside its window, which moves
// forward with time: counting is O(1) amortized, and the cursor caches that
// entry's fields, so that a take which moves no cursor reads only the log's
// header and never the ring. It is not safe for concurrent use.
type unitLog struct {
	// The fields are grouped by cache line (the struct is 256 bytes, a size
	// class whose objects start on line boundaries): a take of one rate
	// that adds no entry reads and writes the first two lines only (the
	// pair a miss brings in together), and writes no field it does not
	// change, so that takes of one key from several cores move few lines.
	// Line 0: the lookup, the rates, and what every take reads.
	key string
	// rates are the rates of the key's last take under the log, as the
	// caller passed them (read-only by contract): they set how long units
	// are kept and when the key is idle.
	rates    ratelimit.Rates
	total    int64 // units ever stored: the before of the next entry
	newestTs int64 // the newest entry's timestamp, when not empty
	floor    int64 // the latest clock reading a take or sweep applied to the key

	// Line 1: the ring's bounds, the first rate's cursor, and the state of
	// the other algorithms.
	head int64
	tail int64
	// cst is the key's state under GCRA or the counter, nil under the log.
	cst  *core.State
	ncur int       // the number of cursors: one per rate being judged
	cur  [2]cursor // the first two rates' cursors; cur[1] starts line 2

	// Lines 2 and 3: what only a new entry, a second rate or a leak uses.
	buf     []entry
	dropped int64    // units ever removed: the before of the head entry
	more    []cursor // the cursors of the rates after the first two
	// blk is the key's block (ratelimit.Block), nil when it has none.
	blk *core.BlockState
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

const (
	minTime = int64(math.MinInt64)
	maxTime = int64(math.MaxInt64)
)

// valid reports whether c's cached entry is l's entry at c.seq.
func (c *cursor) valid(l *unitLog) bool {
	return c.since != maxTime && c.seq >= l.head && c.seq < l.tail
}

var _ core.WindowLog = (*unitLog)(nil)

// newUnitLog returns a key with no history under alg whose stamps start at
// floor, for a first take against rates (nil if not known). A key of one
// rate under GCRA or the counter comes in one allocation with its state,
// already holding the rate's zero entry as core's carry would make it.
func newUnitLog(alg ratelimit.Algorithm, key string, floor int64, rates ratelimit.Rates) *unitLog {
	switch {
	case alg == ratelimit.SlidingWindowLog:
		return &unitLog{key: key, floor: floor}
	case len(rates) != 1:
		return &unitLog{key: key, floor: floor, cst: &core.State{Algorithm: alg}}
	case alg == ratelimit.GCRA:
		k := &withState[core.GCRAState]{}
		k.s = core.State{Algorithm: alg, Rates: rates, GCRA: k.e[:]}
		return k.init(key, floor)
	default:
		k := &withState[core.CounterState]{}
		k.s = core.State{Algorithm: alg, Rates: rates, Counter: k.e[:]}
		return k.init(key, floor)
	}
}

// withState is a key of one rate under GCRA or the counter (E is the
// rate's state entry) with its state beside it, in one allocation.
type withState[E any] struct {
	l unitLog
	s core.State
	e [1]E
}

// init sets k's key and floor, points its log at its state, and returns
// the log.
func (k *withState[E]) init(key string, floor int64) *unitLog {
	k.l = unitLog{key: key, floor: floor, cst: &k.s}
	return &k.l
}

// sameSlice reports whether a and b are the same slice of rates. Rates are
// read-only, so the same slice holds the same rates.
func sameSlice(a, b ratelimit.Rates) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// setRates makes rates the log's rates for a take at now, and reports
// whether they differ from the last take's. When they do, it first drops the
// units the last rates no longer count at now (so that what a longer
// interval counts does not hang on when the ring last reclaimed), and every
// cursor must be sought again: it stands where another rate left it.
func (l *unitLog) setRates(rates ratelimit.Rates, now int64) bool {
	changed := !slices.Equal(l.rates, rates)
	if changed {
		l.forget(now)
		l.resetCursors(len(rates))
	}
	l.rates = rates
	return changed
}

// forget drops the units the log's rates no longer count at now.
func (l *unitLog) forget(now int64) {
	if len(l.rates) > 0 {
		l.leak(now - l.rates.Largest().IntervalMillis())
	}
}

// resetCursors makes n cursors, each to be sought again before use.
func (l *unitLog) resetCursors(n int) {
	if extra := n - len(l.cur); extra > cap(l.more) {
		l.more = make([]cursor, extra)
	} else {
		l.more = l.more[:max(extra, 0)]
	}
	l.ncur = n
	for i := range n {
		l.cursor(i).since = maxTime
	}
}

// cursor returns the cursor of the i-th rate being judged, i < l.ncur.
func (l *unitLog) cursor(i int) *cursor {
	if i < len(l.cur) {
		return &l.cur[i]
	}
	return &l.more[i-len(l.cur)]
}

func (l *unitLog) slot(seq int64) int64 { return seq & int64(len(l.buf)-1) }

func (l *unitLog) at(seq int64) *entry { return &l.buf[l.slot(seq)] }

func (l *unitLog) empty() bool { return l.head == l.tail }

// count returns the number of stored units.
func (l *unitLog) count() int64 { return l.total - l.dropped }

// CountSince counts the units stamped at or after since, moving the rate's
// cursor to the first such entry.
func (l *unitLog) CountSince(rate int, since int64) int64 {
	return l.countFrom(l.cursor(rate), since)
}

// countFrom is CountSince for the rate whose cursor is c.
func (l *unitLog) countFrom(c *cursor, since int64) int64 {
	if since != c.since { // unchanged within a millisecond: no write
		l.move(c, since)
	}
	return l.counted(c)
}

// counted returns the units from c's entry on, where c stands.
func (l *unitLog) counted(c *cursor) int64 {
	if c.seq == l.tail {
		return 0
	}
	return l.total - c.before
}

// move places c at the first entry stamped at or after since: forward, as
// time passes, from where it stands, or by a seek when since went back or
// the ring dropped c's entry.
func (l *unitLog) move(c *cursor, since int64) {
	if c.seq < l.head || since < c.since {
		l.seek(c, since)
		return
	}
	for c.seq < l.tail && c.ts < since {
		c.seq++
		l.load(c)
	}
	c.since = since
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
	for i := range l.ncur {
		if c := l.cursor(i); c.valid(l) && c.before == u {
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
	for i := range l.ncur {
		if c := l.cursor(i); c.valid(l) {
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

// stamp returns the timestamp for a take whose clock read now before the
// caller took its lock: now, or the latest clock reading already applied to
// the key if a take or a sweep that read the clock later took the lock
// first. Stamps thus never go back in lock order, and no unit a take should
// count was leaked by a later reading: the key decides exactly as if the
// clock were read under the lock. Each stamp lies between the take's clock
// read and the moment it took the lock.
func (l *unitLog) stamp(now int64) int64 {
	if now > l.floor { // no write when another take read the clock later
		l.floor = now
	}
	return l.floor
}

// insert stores weight units at ts, which is never older than the newest
// entry (takes are stamped by stamp). When the ring is full it first drops
// the entries that count for none of the log's rates (those of the take,
// set by setRates) at ts, and grows only if that frees nothing.
func (l *unitLog) insert(ts, weight int64) {
	if ts != l.newestTs || l.empty() {
		l.push(ts, weight)
		return
	}
	l.total += weight // merge into the newest entry
}

// push is insert for a ts newer than the newest entry's: it adds an entry.
func (l *unitLog) push(ts, weight int64) {
	if l.tail-l.head == int64(len(l.buf)) {
		l.leak(ts - l.rates.Largest().IntervalMillis())
		if l.tail-l.head == int64(len(l.buf)) {
			l.grow()
		}
	}
	*l.at(l.tail) = entry{ts: ts, before: l.total}
	for i := range l.ncur {
		if c := l.cursor(i); c.seq == l.tail {
			c.ts, c.before = ts, l.total
		}
	}
	l.tail++
	l.total += weight
	l.newestTs = ts
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
		l.head++
		if l.empty() {
			l.dropped = l.total
		} else {
			l.dropped = l.at(l.head).before
		}
	}
	// A cursor whose entry left the ring must be sought again: countFrom
	// trusts a cursor whose since is unchanged.
	for i := range l.ncur {
		if c := l.cursor(i); c.seq < l.head {
			c.since = maxTime
		}
	}
	return start - l.count()
}
