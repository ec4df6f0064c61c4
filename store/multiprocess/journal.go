package mpstore

// The journal makes the one multi-store change, inserting an entry out of
// time order, atomic. The change is written down in the header's journal
// words, committed by one store of jState, carried out step by step with
// its progress recorded, and closed by one store of jState. Whoever takes
// the lock next finds jState set if the holder died in between, and carries
// the change out from where it stopped (Store.lock calls replay), so the
// log is never seen half-shifted. Each step is idempotent: it reads an
// entry that no earlier step has written.
const (
	jState    = hJournal + 8*iota // 1 while an insert is in progress
	jSlot                         // the slot
	jPos                          // the sequence number the entry goes to
	jTs                           // the entry
	jWeight                       //
	jTag                          //
	jTail                         // the slot's tail before the insert
	jProgress                     // entries [jProgress, jTail+1] are moved
)

// insert puts an entry stamped before the newest at its place, pos (from
// l.after), moving the newer entries (and the total) up by one. The ring
// has room.
func (s *Store) insert(slot int64, l *slotLog, pos, ts, weight int64, tag uint8) {
	m := &s.m
	*m.at(jSlot) = slot
	*m.at(jPos) = pos
	*m.at(jTs) = ts
	*m.at(jWeight) = weight
	*m.at(jTag) = int64(tag)
	*m.at(jTail) = l.tail
	*m.at(jProgress) = l.tail + 2
	storeWord(m.at(jState), 1)
	s.replay()
}

// replay carries out the journaled insert, if one is in progress, from
// where it stopped, then closes the journal.
func (s *Store) replay() {
	m := &s.m
	if *m.at(jState) == 0 {
		return
	}
	slot, pos, tail := *m.at(jSlot), *m.at(jPos), *m.at(jTail)
	l := &s.log
	if slot >= 0 && slot < m.lay.maxKeys {
		l.bind(m, slot)
	}
	// A journal that does not fit the slot (not written by this layout's
	// code, or a slot that fails its checks) is dropped rather than
	// applied.
	if slot >= 0 && slot < m.lay.maxKeys && l.bad == "" && l.tail == tail && pos >= l.head && pos < tail && tail-l.head < m.lay.maxEntries {
		weight, progress := *m.at(jWeight), *m.at(jProgress)
		for seq := min(progress, tail+2) - 1; seq > pos; seq-- {
			src, dst := l.at(seq-1), l.at(seq)
			dst.ts, dst.before = src.ts, src.before+weight
			*l.tag(seq) = *l.tag(seq - 1)
			storeWord(m.at(jProgress), seq)
			crashPoint(pointShift)
		}
		l.at(pos).ts = *m.at(jTs)
		*l.tag(pos) = uint8(*m.at(jTag))
		l.setTail(tail + 1)
	}
	storeWord(m.at(jState), 0)
}
