package memorystore

import (
	"math"
	"slices"
	"sync"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// The ring holds one entry per run of units taken at one timestamp: the
// entry's ts and its before, the units stored before it, counted from the
// log's start (its weight is the next entry's before minus its own, the
// log's total for the newest). While the log holds fewer than 2^32 units and
// its stamps span less than 2^32 ms (about 49 days), an entry is one word,
// narrow: the low 32 bits of its ts and of its before, from which newestTs
// and total, which no entry's exceed by 2^32 or more, restore the rest.
// Otherwise the log is wide: an entry is two words, its ts and its before
// whole. A narrow log widens before an insert would break those bounds, and
// a wide one narrows again at an insert that finds it empty once the units
// no rate counts are dropped. The ring holds no pointers, so the garbage
// collector never scans it.

// narrowSpan bounds what a narrow ring holds: its units, and the span of
// its stamps in milliseconds, each stay below it.
const narrowSpan = 1 << 32

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
// header and never the ring. Its fields but key, which never changes, are
// guarded by mu.
type unitLog struct {
	// The fields are grouped by cache line (the struct is 256 bytes, a size
	// class whose objects start on line boundaries): a take of one rate
	// that adds no entry writes the first two lines (the pair a miss brings
	// in together) and the lock's, line 3; one that adds units to the
	// newest entry also reads line 2, which comes in with line 3 and
	// changes only when the ring grows or its head moves. A take writes no
	// field it does not change, so that takes of one key from several cores
	// move few lines.
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
	cst   *core.State
	ncur  int32  // the number of cursors: one per rate being judged
	wide  bool   // the ring's entries are two words each (see narrowSpan)
	first cursor // the first rate's cursor

	// Line 2: the ring, for a take that moves a cursor or adds an entry.
	buf     []uint64
	dropped int64    // units ever removed: the before of the head entry
	headTs  int64    // the head entry's timestamp, when not empty
	more    []cursor // the cursors of the rates after the first two

	// Line 3: the lock, on a line of its own but for what only a second
	// rate or a block uses, so that takes waiting for it do not read the
	// lines the take holding it writes; it comes in with line 2, the pair
	// a miss brings in together.
	mu sync.Mutex
	// dead marks a key its shard no longer holds (swept or reset): a take
	// that found it without the shard's lock looks again under it.
	dead   bool
	second cursor
	// blk is the key's block (ratelimit.Block), nil when it has none.
	blk *core.BlockState
	_   [8]byte
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

// ownCursors is the number of cursors a log holds in itself; more holds
// the rest.
const ownCursors = 2

// resetCursors makes n cursors, each to be sought again before use.
func (l *unitLog) resetCursors(n int) {
	if extra := n - ownCursors; extra > cap(l.more) {
		l.more = make([]cursor, extra)
	} else {
		l.more = l.more[:max(extra, 0)]
	}
	l.ncur = int32(n)
	for i := range n {
		l.cursor(i).since = maxTime
	}
}

// cursor returns the cursor of the i-th rate being judged, i < l.ncur.
func (l *unitLog) cursor(i int) *cursor {
	switch i {
	case 0:
		return &l.first
	case 1:
		return &l.second
	}
	return &l.more[i-ownCursors]
}

// size returns the number of entries the ring has room for.
func (l *unitLog) size() int64 {
	if l.wide {
		return int64(len(l.buf) / 2)
	}
	return int64(len(l.buf))
}

// entry returns the timestamp and the before of the entry at seq.
func (l *unitLog) entry(seq int64) (ts, before int64) {
	if l.wide {
		i := 2 * (seq & (int64(len(l.buf)/2) - 1))
		return int64(l.buf[i]), int64(l.buf[i+1])
	}
	w := l.buf[seq&int64(len(l.buf)-1)]
	return l.newestTs - int64(uint32(l.newestTs)-uint32(w>>32)), l.total - int64(uint32(l.total)-uint32(w))
}

// entryTs returns the timestamp of the entry at seq.
func (l *unitLog) entryTs(seq int64) int64 {
	ts, _ := l.entry(seq)
	return ts
}

// entryBefore returns the before of the entry at seq.
func (l *unitLog) entryBefore(seq int64) int64 {
	_, before := l.entry(seq)
	return before
}

// set makes the entry at seq hold ts and before, which must be within the
// bounds of a narrow ring (see narrowSpan) unless it is wide.
func (l *unitLog) set(seq, ts, before int64) {
	if l.wide {
		i := 2 * (seq & (int64(len(l.buf)/2) - 1))
		l.buf[i], l.buf[i+1] = uint64(ts), uint64(before)
		return
	}
	l.buf[seq&int64(len(l.buf)-1)] = uint64(uint32(ts))<<32 | uint64(uint32(before))
}

// fits reports whether a narrow ring holds the log once weight units
// stamped ts, no older than the newest entry, are added.
func (l *unitLog) fits(ts, weight int64) bool {
	return weight < narrowSpan-l.count() && (l.empty() || uint64(ts)-uint64(l.headTs) < narrowSpan)
}

// widen makes a narrow ring wide, its entries unchanged.
func (l *unitLog) widen() {
	buf := make([]uint64, 2*len(l.buf))
	for s := l.head; s < l.tail; s++ {
		ts, before := l.entry(s)
		i := 2 * (s & int64(len(l.buf)-1))
		buf[i], buf[i+1] = uint64(ts), uint64(before)
	}
	l.buf, l.wide = buf, true
}

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
	for s < l.tail && l.entryTs(s) < since {
		s++
	}
	for s > l.head && l.entryTs(s-1) >= since {
		s--
	}
	c.seq, c.since = s, since
	l.load(c)
}

// load copies the fields of the entry at c.seq into c.
func (l *unitLog) load(c *cursor) {
	if c.seq < l.tail {
		c.ts, c.before = l.entry(c.seq)
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
	for i := range int(l.ncur) {
		if c := l.cursor(i); c.valid(l) && c.before == u {
			return c.ts, true
		}
	}
	s, ok := l.find(k)
	if !ok {
		return 0, false
	}
	return l.entryTs(s), true
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
	for i := range int(l.ncur) {
		if c := l.cursor(i); c.valid(l) {
			if c.before <= u {
				lo = max(lo, c.seq)
			} else {
				hi = min(hi, c.seq-1)
			}
		}
	}
	if lo == hi || l.entryBefore(lo+1) > u {
		return lo, true
	}
	if l.entryBefore(hi) <= u {
		return hi, true
	}
	for hi-lo > 1 { // invariant: entryBefore(lo) <= u < entryBefore(hi)
		mid := lo + (hi-lo)/2
		if l.entryBefore(mid) <= u {
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
// entry (takes are stamped by stamp). A ring whose form no longer suits
// the log (see narrowSpan) is refit first.
func (l *unitLog) insert(ts, weight int64) {
	if l.wide == l.fits(ts, weight) {
		l.refit(ts, weight)
	}
	if ts != l.newestTs || l.empty() {
		l.push(ts, weight)
		return
	}
	l.total += weight // merge into the newest entry
}

// refit is insert's, for a ring that is narrow though the log will not fit
// it once weight units stamped ts are added, or wide though it will. It
// first drops the entries that count for none of the log's rates (those of
// the take, set by setRates) at ts; then a narrow ring widens if the log
// still does not fit, and a wide one narrows if the log is empty (so that
// no entry is rewritten, and the ring has twice the room).
func (l *unitLog) refit(ts, weight int64) {
	l.forget(ts)
	switch fits := l.fits(ts, weight); {
	case !l.wide && !fits:
		l.widen()
	case l.wide && fits && l.empty():
		l.wide = false
	}
}

// push is insert for a ts newer than the newest entry's: it adds an entry.
// When the ring is full it first drops the entries that count for none of
// the log's rates at ts, and grows only if that frees nothing.
func (l *unitLog) push(ts, weight int64) {
	if l.tail-l.head == l.size() {
		l.forget(ts)
		if l.tail-l.head == l.size() {
			l.grow()
		}
	}
	if l.empty() {
		l.headTs = ts
	}
	l.newestTs = ts
	l.set(l.tail, ts, l.total)
	for i := range int(l.ncur) {
		if c := l.cursor(i); c.seq == l.tail {
			c.ts, c.before = ts, l.total
		}
	}
	l.tail++
	l.total += weight
}

// grow doubles the ring's room.
func (l *unitLog) grow() {
	words := 1 // per entry
	if l.wide {
		words = 2
	}
	n := max(2*l.size(), 4)
	buf := make([]uint64, int64(words)*n)
	for s := l.head; s < l.tail; s++ {
		from, to := int64(words)*(s&(l.size()-1)), int64(words)*(s&(n-1))
		copy(buf[to:to+int64(words)], l.buf[from:])
	}
	l.buf = buf
}

// leak drops the entries stamped before bound.
func (l *unitLog) leak(bound int64) {
	for !l.empty() && l.headTs < bound {
		l.head++
		if l.empty() {
			l.dropped = l.total
		} else {
			l.headTs, l.dropped = l.entry(l.head)
		}
	}
	// A cursor whose entry left the ring must be sought again: countFrom
	// trusts a cursor whose since is unchanged.
	for i := range int(l.ncur) {
		if c := l.cursor(i); c.seq < l.head {
			c.since = maxTime
		}
	}
}
