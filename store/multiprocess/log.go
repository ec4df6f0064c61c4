package mpstore

import (
	"fmt"
	"unsafe"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// entry is a run of units put under one name at one timestamp: the
// in-file form of memorystore's entry. Its weight is the next entry's
// before minus its own.
type entry struct {
	ts     int64
	before int64 // units stored in the slot before this entry, ever
}

// slotLog is the sliding-window log of one slot, read and written in place
// in the mapped file: entries sorted by timestamp in a ring addressed by
// absolute sequence numbers, the live ones being [head, tail).
//
// The crash-safety invariant: the slot's state is (head, tail) and the ring
// entries [head, tail]; the entry at tail is not an entry but the total,
// whose before field counts every unit ever stored. Every change is
// prepared in words outside that state and committed by one aligned 8-byte
// store (storeWord) that brings them in:
//
//   - append writes ring[tail].ts, tags[tail] and ring[tail+1].before (the
//     next total), then commits tail+1;
//   - merge into the newest entry is one store of the total;
//   - leak and flush are one store of head;
//   - an insert out of time order moves entries, which one store cannot
//     commit: it goes through the journal (journal.go).
//
// A process killed at any instruction thus leaves either the old state or
// the new one, never a mix, and the next lock holder needs no repair beyond
// the journal's. The ring holds one slot more than maxEntries, for the
// total, so that preparing an append never touches a live entry.
//
// slotLog implements [ratelimit.WindowLog] with binary searches. It is a
// scratch view the store rebinds under its lock; it is not safe for
// concurrent use.
//
// The file may be damaged (see ErrDamaged), so the log checks what it
// reads, cheaply: bind checks the sequence numbers (0 <= head <= tail,
// tail-head <= maxEntries: every entry it then reads lies inside the
// slot), the totals (0 <= before(head), and every entry holds at least 1
// unit and at most the smallest rate's limit, as every entry this package
// writes does) and the order of the oldest and newest timestamps; every
// entry a search or a count reads must then lie between those bounds. A
// failed check sets bad, which the store turns into an error wrapping
// ErrDamaged before it commits anything. What passes these checks is taken
// at face value: a timestamp changed to another that keeps the log in
// order (the oldest one moved back, say) goes unnoticed.
type slotLog struct {
	m    *mapping
	p    unsafe.Pointer // the slot
	ring unsafe.Pointer
	tags unsafe.Pointer
	n    int64 // ring length
	head int64 // copies of the slot's words, kept in step with them
	tail int64
	// The bounds of a sound log, from the slot's words, kept in step with
	// them: every live entry's ts lies in [tsLo, tsHi], every before in
	// [bLo, bHi]. bHi is the total: the units ever stored, the before of
	// the entry that the next append writes.
	tsLo, tsHi, bLo, bHi int64
	bad                  string // why the slot is damaged; "" while it passes
}

var _ ratelimit.WindowLog = (*slotLog)(nil)

// bind points l at slot i and checks its words (a constant-state slot has
// no log, and nothing to check here).
func (l *slotLog) bind(m *mapping, i int64) {
	l.m, l.p, l.n = m, m.slot(i), m.lay.ringLen
	l.ring, l.tags = unsafe.Add(l.p, m.lay.ringOff), unsafe.Add(l.p, m.lay.tagsOff)
	l.head, l.tail = *l.word(sHead), *l.word(sTail)
	l.bad = ""
	if l.n == 0 {
		return
	}
	if l.head < 0 || l.tail < l.head || l.tail-l.head > m.lay.maxEntries {
		l.bad = fmt.Sprintf("its log runs from %d to %d, not within 0 <= head <= tail <= head+%d", l.head, l.tail, m.lay.maxEntries)
		l.head, l.tail = 0, 0 // nothing outside the slot is read
		return
	}
	l.bounds()
}

// bounds reads the log's bounds from its words and checks them.
func (l *slotLog) bounds() {
	l.bLo, l.bHi = l.at(l.head).before, l.at(l.tail).before
	n, w := l.tail-l.head, l.m.lay.maxWeight
	if l.bLo < 0 || l.bHi < l.bLo || l.bHi-l.bLo < n || (w > 0 && l.bHi-l.bLo > n*w) {
		l.bad = fmt.Sprintf("its %d entries hold %d units (totals %d to %d), not 1 to %d each", n, l.bHi-l.bLo, l.bLo, l.bHi, w)
		return
	}
	if n > 0 {
		l.tsLo, l.tsHi = l.at(l.head).ts, l.at(l.tail-1).ts
		if l.tsLo > l.tsHi {
			l.bad = fmt.Sprintf("its oldest entry (%d) is newer than its newest (%d)", l.tsLo, l.tsHi)
		}
	}
}

// tsAt returns the timestamp of the entry at seq, checked against the
// bounds.
func (l *slotLog) tsAt(seq int64) int64 {
	ts := l.at(seq).ts
	if uint64(ts-l.tsLo) > uint64(l.tsHi-l.tsLo) { // one compare for tsLo <= ts <= tsHi
		l.bad = "an entry's timestamp lies outside its oldest's and newest's"
	}
	return ts
}

// beforeAt returns the before of the entry at seq (or of the total, at
// tail), checked against the bounds.
func (l *slotLog) beforeAt(seq int64) int64 {
	b := l.at(seq).before
	if uint64(b-l.bLo) > uint64(l.bHi-l.bLo) { // bLo <= b <= bHi
		l.bad = "an entry's count of units lies outside its log's totals"
	}
	return b
}

func (l *slotLog) word(off int64) *int64 { return (*int64)(unsafe.Add(l.p, off)) }

func (l *slotLog) at(seq int64) *entry { return (*entry)(unsafe.Add(l.ring, (seq%l.n)*16)) }

func (l *slotLog) tag(seq int64) *uint8 { return (*uint8)(unsafe.Add(l.tags, seq%l.n)) }

func (l *slotLog) empty() bool { return l.head == l.tail }

func (l *slotLog) len() int64 { return l.tail - l.head }

// count returns the number of stored units.
func (l *slotLog) count() int64 { return l.bHi - l.bLo }

// newest returns the newest entry's timestamp.
func (l *slotLog) newest() (int64, bool) {
	if l.empty() {
		return 0, false
	}
	return l.tsHi, true
}

// since returns the first sequence number in [head, tail] whose entry is
// stamped at or after ts (tail if none is).
func (l *slotLog) since(ts int64) int64 {
	lo, hi := l.head, l.tail
	for lo < hi {
		mid := lo + (hi-lo)/2
		if l.tsAt(mid) < ts {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// after returns the first sequence number in [head, tail] whose entry is
// stamped after ts (tail if none is).
func (l *slotLog) after(ts int64) int64 {
	lo, hi := l.head, l.tail
	for lo < hi {
		mid := lo + (hi-lo)/2
		if l.tsAt(mid) <= ts {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// CountSince counts the units stamped at or after since.
func (l *slotLog) CountSince(_ int, since int64) int64 {
	return l.bHi - l.beforeAt(l.since(since))
}

// NthNewest returns the timestamp of the k-th newest unit.
func (l *slotLog) NthNewest(k int64) (int64, bool) {
	if k == 0 {
		return l.newest()
	}
	s, ok := l.find(k)
	if !ok {
		return 0, false
	}
	return l.tsAt(s), true
}

// find returns the sequence number of the entry holding the k-th newest
// unit: the last entry whose before is at most that unit's ordinal.
func (l *slotLog) find(k int64) (int64, bool) {
	if k < 0 || k >= l.count() {
		return 0, false
	}
	u := l.bHi - 1 - k
	lo, hi := l.head, l.tail-1 // at(lo).before <= u < at(hi+1).before
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if l.beforeAt(mid) <= u {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, true
}

// weight returns the units of the entry at seq.
func (l *slotLog) weight(seq int64) int64 { return l.beforeAt(seq+1) - l.beforeAt(seq) }

// setHead commits a new head: one store.
func (l *slotLog) setHead(h int64) {
	storeWord(l.word(sHead), h)
	l.head = h
	l.bounds()
}

// setTail commits a new tail: one store.
func (l *slotLog) setTail(t int64) {
	storeWord(l.word(sTail), t)
	l.tail = t
	l.bounds()
}

// reset empties a slot that is not published in the index.
func (l *slotLog) reset() {
	*l.word(sHead), *l.word(sTail) = 0, 0
	l.head, l.tail = 0, 0
	l.at(0).before = 0
	l.bLo, l.bHi, l.bad = 0, 0, ""
}

// merge adds weight units to the newest entry: one store of the total.
func (l *slotLog) merge(weight int64) {
	t := l.at(l.tail)
	storeWord(&t.before, t.before+weight)
	l.bHi = t.before
}

// append adds an entry stamped at or after the newest; the ring has room.
func (l *slotLog) append(ts, weight int64, tag uint8) {
	e := l.at(l.tail)
	e.ts = ts
	*l.tag(l.tail) = tag
	l.at(l.tail + 1).before = e.before + weight
	crashPoint(pointAppend)
	l.setTail(l.tail + 1)
}

// leak drops the entries stamped before bound and returns their units. A
// log found damaged on the way (l.bad) is left as it is.
func (l *slotLog) leak(bound int64) int64 {
	s := l.since(bound)
	n := l.beforeAt(s) - l.bLo
	if l.bad != "" {
		return 0
	}
	if s != l.head {
		if s == l.tail {
			l.m.forgetIdleHint()
		}
		l.setHead(s)
	}
	return n
}

// flush drops every entry.
func (l *slotLog) flush() {
	if !l.empty() {
		l.m.forgetIdleHint()
		l.setHead(l.tail)
	}
}

// idle reports whether the log holds no unit inside the largest window at
// now, maxInterval being that window's length.
func (l *slotLog) idle(now, maxInterval int64) bool {
	newest, ok := l.newest()
	return !ok || newest < now-maxInterval
}

// emptyLog is the log of a key that has no slot.
type emptyLog struct{}

func (emptyLog) CountSince(int, int64) int64   { return 0 }
func (emptyLog) NthNewest(int64) (int64, bool) { return 0, false }
