package mpstore

import (
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// entry is the units admitted under one key in one millisecond. Its weight
// is the next entry's before minus its own.
type entry struct {
	ts     int64
	before int64 // units stored in the slot before this entry, ever
}

// slotLog is the sliding-window log of one slot, read and written in place
// in the mapped file: entries with strictly increasing timestamps in a ring
// addressed by absolute sequence numbers, the live ones being [head,
// tail). A take is stored at its time or, if that is earlier, with the
// newest entry, so an entry is only ever appended or merged into the
// newest.
//
// The crash-safety invariant: the slot's state is (head, tail) and the ring
// entries [head, tail]; the entry at tail is not an entry but the total,
// whose before field counts every unit ever stored. Every change is
// prepared in words outside that state and committed by one aligned 8-byte
// store (storeWord) that brings them in:
//
//   - append writes ring[tail].ts and ring[tail+1].before (the next total),
//     then commits tail+1;
//   - a merge into the newest entry is one store of the total;
//   - dropping entries that left the window is one store of head;
//   - keep and wmax are single words, and wmax only grows, before the
//     entry it bounds is committed;
//   - a refund, which moves the totals of the entries after the one it
//     takes units from (and those entries, when it empties it), writes
//     every word it changes into the journal, committed by one store of
//     its count (see journal.go).
//
// A process killed at any instruction thus leaves either the old state or
// the new one, never a mix, and the next lock holder needs no repair. The
// ring holds one slot more than maxEntries, for the total, so that
// preparing an append never touches a live entry.
//
// slotLog implements [core.WindowLog] with binary searches. It is a scratch
// view the store rebinds under its lock; it is not safe for concurrent use.
//
// The file may be damaged (see ErrDamaged), so the log checks what it
// reads, cheaply: bind checks the sequence numbers (0 <= head <= tail,
// tail-head <= maxEntries: every entry it then reads lies inside the
// slot), the kept interval, the totals (0 <= before(head), and every entry
// holds at least 1 unit and at most wmax, as every entry this package
// writes does) and the order of the oldest and newest timestamps; every
// entry a search or a count reads must then lie between those bounds. A
// failed check sets bad, which the store turns into an error wrapping
// ErrDamaged before it commits anything.
type slotLog struct {
	m    *mapping
	p    unsafe.Pointer // the slot
	lw   unsafe.Pointer // the log's words: head, tail, keep, wmax
	ring unsafe.Pointer
	n    int64 // ring length
	head int64 // copies of the slot's words, kept in step with them
	tail int64
	keep int64
	wmax int64
	// The bounds of a sound log, from the slot's words, kept in step with
	// them: every live entry's ts lies in [tsLo, tsHi], every before in
	// [bLo, bHi]. bHi is the total: the units ever stored, the before of
	// the entry that the next append writes.
	tsLo, tsHi, bLo, bHi int64
	bad                  string // why the slot is damaged; "" while it passes
}

var _ core.WindowLog = (*slotLog)(nil)

// maxKeep is the longest interval a log keeps units for, in ms.
const maxKeep = int64(ratelimit.MaxInterval / time.Millisecond)

// bind points l at slot i and checks its words.
func (l *slotLog) bind(m *mapping, i int64) {
	l.m, l.p, l.n = m, m.slot(i), m.lay.ringLen
	l.lw, l.ring = unsafe.Add(l.p, m.lay.logOff), unsafe.Add(l.p, m.lay.ringOff)
	l.head, l.tail, l.keep, l.wmax = *l.word(lHead), *l.word(lTail), *l.word(lKeep), *l.word(lWMax)
	l.bad = ""
	if l.head < 0 || l.tail < l.head || l.tail-l.head > m.lay.maxEntries {
		l.bad = fmt.Sprintf("its log runs from %d to %d, not within 0 <= head <= tail <= head+%d", l.head, l.tail, m.lay.maxEntries)
		l.head, l.tail = 0, 0 // nothing outside the slot is read
		return
	}
	if l.keep < 1 || l.keep > maxKeep {
		l.bad = fmt.Sprintf("its log keeps units for %dms, not 1 to %d", l.keep, maxKeep)
		return
	}
	l.bounds()
}

// bounds reads the log's bounds from its words and checks them.
func (l *slotLog) bounds() {
	l.bLo, l.bHi = l.at(l.head).before, l.at(l.tail).before
	n, w := l.tail-l.head, l.wmax
	if l.bLo < 0 || l.bHi < l.bLo || l.bHi-l.bLo < n || (n > 0 && w < 1) || (w <= math.MaxInt64/l.m.lay.maxEntries && l.bHi-l.bLo > n*w) {
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

func (l *slotLog) word(off int64) *int64 { return (*int64)(unsafe.Add(l.lw, off)) }

func (l *slotLog) at(seq int64) *entry { return (*entry)(unsafe.Add(l.ring, (seq%l.n)*16)) }

func (l *slotLog) empty() bool { return l.head == l.tail }

func (l *slotLog) len() int64 { return l.tail - l.head }

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

// CountSince counts the units stamped at or after since.
func (l *slotLog) CountSince(_ int, since int64) int64 {
	return l.bHi - l.beforeAt(l.since(since))
}

// NthNewest returns the timestamp of the k-th newest unit.
func (l *slotLog) NthNewest(k int64) (int64, bool) {
	if k == 0 {
		return l.newest()
	}
	if k < 0 || k >= l.bHi-l.bLo {
		return 0, false
	}
	// The entry holding it: the last whose before is at most its ordinal.
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
	return l.tsAt(lo), true
}

// setHead commits a new head: one store.
func (l *slotLog) setHead(h int64) {
	storeWord(l.word(lHead), h)
	l.head = h
	l.bounds()
}

// setTail commits a new tail: one store.
func (l *slotLog) setTail(t int64) {
	storeWord(l.word(lTail), t)
	l.tail = t
	l.bounds()
}

// setKeep records keep, the largest interval of the key's last take, as
// the time its units are kept for: one store.
func (l *slotLog) setKeep(keep int64) {
	storeWord(l.word(lKeep), keep)
	l.keep = keep
}

// reset empties a slot that is not published in the index, keeping units
// for keep ms, with no block.
func (l *slotLog) reset(keep int64) {
	*l.word(lHead), *l.word(lTail), *l.word(lKeep), *l.word(lWMax) = 0, 0, keep, 0
	writeBlock(l.block(), &core.BlockState{})
	l.head, l.tail, l.keep, l.wmax = 0, 0, keep, 0
	l.at(0).before = 0
	l.bLo, l.bHi, l.bad = 0, 0, ""
}

// add stores weight units at ts, no earlier than the newest entry, with
// limit the smallest limit of the rates that admitted them: no entry then
// holds more. The ring has room, or ts is the newest entry's.
func (l *slotLog) add(ts, weight, limit int64) {
	if limit > l.wmax {
		storeWord(l.word(lWMax), limit)
		l.wmax = limit
	}
	if newest, ok := l.newest(); ok && ts == newest {
		t := l.at(l.tail)
		storeWord(&t.before, t.before+weight)
		l.bHi = t.before
		return
	}
	e := l.at(l.tail)
	e.ts = ts
	l.at(l.tail + 1).before = e.before + weight
	crashPoint(pointAppend)
	l.setTail(l.tail + 1)
}

// drop drops the entries stamped before bound. A log found damaged on the
// way (l.bad) is left as it is.
func (l *slotLog) drop(bound int64) {
	if s := l.since(bound); l.bad == "" && s != l.head {
		l.setHead(s)
	}
}

// refund removes n units stamped at at, fewer if fewer remain, in one
// commit through the journal: the running totals of the later entries
// move down by the units removed, and when it empties the entry the later
// entries move down one place, so that every entry holds a unit. It
// reports whether it removed any. A log found damaged on the way (l.bad)
// is left as it is.
func (l *slotLog) refund(at, n int64) bool {
	if n == 0 || l.empty() || at < l.tsLo || at > l.tsHi {
		return false
	}
	e := l.since(at)
	if l.bad != "" || e == l.tail || l.tsAt(e) != at {
		return false
	}
	lo, hi := l.beforeAt(e), l.beforeAt(e+1)
	r := min(n, hi-lo)
	j := journal{m: l.m}
	if r < hi-lo {
		for s := e + 1; s <= l.tail; s++ {
			j.set(&l.at(s).before, l.beforeAt(s)-r)
		}
	} else {
		for s := e; s+1 < l.tail; s++ {
			j.set(&l.at(s).ts, l.tsAt(s+1))
			j.set(&l.at(s).before, l.beforeAt(s+1)-r)
		}
		j.set(&l.at(l.tail-1).before, l.bHi-r)
		j.set(l.word(lTail), l.tail-1)
	}
	if l.bad != "" {
		return false
	}
	j.commit()
	l.tail = *l.word(lTail)
	l.bounds()
	return true
}

// idleAt returns when the slot's key becomes idle: its log holds no unit
// its last take counts, and its block ([core.BlockState].Idle) no longer
// matters.
func (l *slotLog) idleAt() int64 {
	at := (*[blockWords]int64)(l.block())[bIdle]
	if newest, ok := l.newest(); ok {
		if newest >= maxTime-l.keep {
			return maxTime
		}
		at = max(at, newest+l.keep+1)
	}
	return at
}

// emptyLog is the log of a key that has no slot.
type emptyLog struct{}

func (emptyLog) CountSince(int, int64) int64   { return 0 }
func (emptyLog) NthNewest(int64) (int64, bool) { return 0, false }
