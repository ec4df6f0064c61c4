package mpstore

import (
	"fmt"
	"unsafe"
)

// The journal makes a change of many words one commit, for the changes a
// single store cannot make: a refund that takes units out of a log entry
// older than the newest, which moves the running totals of every later
// entry (and, when it empties the entry, the later entries themselves),
// and a change of a log slot's block (see block.go). It lies after the
// header, under the log only: a count word, then room for
// max(2*maxEntries, blockWords) pairs {offset in the file, value}, enough
// for any refund (see slotLog.refund) and any block.
//
// The crash-safety invariant: a count of 0 means no change is pending, and
// the pairs are scratch; a count n > 0 means the change the first n pairs
// describe is committed, whether or not its words are written yet. A
// change writes its pairs, commits them with one store of the count,
// writes each value at its offset and stores a count of 0. A process
// killed before the count's store leaves the old state; one killed after
// it leaves a committed change that the next lock holder (lock, before
// anything else) writes again, whole, before clearing it: every pair holds
// the word's new value, not a difference, so writing it twice does no
// harm.

// journal prepares a change of many words, under the store's lock.
type journal struct {
	m *mapping
	n int64 // pairs prepared
}

// set prepares the store of v at p, a word of a slot.
func (j *journal) set(p *int64, v int64) {
	pair := j.m.lay.journalOff + 8 + 16*j.n
	*j.m.at(pair) = int64(uintptr(unsafe.Pointer(p)) - uintptr(j.m.base))
	*j.m.at(pair + 8) = v
	j.n++
}

// commit commits the pairs prepared with one store of their count, then
// writes them (see replay).
func (j *journal) commit() {
	crashPoint(pointJournal)
	storeWord(j.m.at(j.m.lay.journalOff), j.n)
	j.m.replay()
	j.n = 0
}

// replay writes the change committed in the journal, if any, and clears
// it. It reports why the journal is damaged ("" if it is sound): a count
// outside its room, or a pair whose offset is not a word of the key slots.
// A damaged journal is left as it is, its change unwritten.
func (m *mapping) replay() string {
	count := m.at(m.lay.journalOff)
	n := *count
	if n == 0 {
		return ""
	}
	if n < 0 || n > m.lay.journalCap {
		return fmt.Sprintf("its journal's count is %d, not 0 to %d", n, m.lay.journalCap)
	}
	pairs := m.lay.journalOff + 8
	for i := range n {
		if off := *m.at(pairs + 16*i); off < m.lay.slotsOff || off > m.lay.size-8 || off%8 != 0 {
			return fmt.Sprintf("its journal's pair %d writes at %d, not a word of the key slots", i, off)
		}
	}
	for i := range n {
		*m.at(*m.at(pairs + 16*i)) = *m.at(pairs + 16*i + 8)
		if i == 0 {
			crashPoint(pointReplay)
		}
	}
	storeWord(count, 0)
	return ""
}
