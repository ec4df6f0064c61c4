package memorystore

import (
	"math/bits"
	"sync/atomic"
)

// table holds a shard's keys by their hash: open addressing with linear
// probing over slots that keep each key's hash beside its log. A take hashes
// its key once, to pick the shard and the slot; a lookup reads one slot (two
// on a collision) and compares the key only where the whole hash matches.
// Keys whose hashes are equal take the next free slots, like any other
// collision, so every key string works. Hashes are seeded per store
// (hasher), so that no one can aim many keys at one run of slots.
//
// The zero table is empty. Its changes and lookup must be serialized (by
// the shard's lock), but candidate may run beside them: the array and each
// slot's fields are read and written atomically, so it sees each slot as
// it was or as it becomes. It may then miss a key the table holds (a slot
// moved back past it, the array replaced) or return a log the table no
// longer holds or of another key; its caller checks the log under the
// log's lock and otherwise looks again under the shard's.
type table struct {
	arr atomic.Pointer[slots] // nil, or a power of two of slots, at most 3/4 used
	n   int                   // slots in use: the keys held
}

// slots is a table's array, with the shift that picks a hash's home slot
// in it: 64 - log2(len(s)).
type slots struct {
	s     []slot
	shift uint
}

// slot is a key's log and hash; an empty slot has a nil log.
type slot struct {
	hash atomic.Uint64
	log  atomic.Pointer[unitLog]
}

// minSlots is the size of a table's first array.
const minSlots = 8

// home returns the slot where a probe for hash h starts. The top bits are
// independent of the low ones that picked the shard. (shift is below 64:
// the mask spares the compiler's check for a larger one.)
func (a *slots) home(h uint64) uint64 { return h >> (a.shift & 63) }

// lookup returns the log of key, whose hash is h, or nil.
func (t *table) lookup(key string, h uint64) *unitLog {
	_, log := t.find(key, h)
	return log
}

// candidate returns the log of the first slot from h's home that holds a
// key of hash h, or nil: the log of the key sought, when t holds it and no
// other key of its hash comes first. It reads no log, so a lookup without
// the lock reads no line that takes write: the caller checks the log's key
// once it holds the log's lock. A probe ends at an empty slot, which every
// array has, or, should changes beside it keep filling the slots ahead of
// it, after the whole array.
func (t *table) candidate(h uint64) *unitLog {
	a := t.arr.Load()
	if a == nil {
		return nil
	}
	mask := uint64(len(a.s) - 1)
	for n, i := 0, a.home(h); n < len(a.s); n, i = n+1, (i+1)&mask {
		s := &a.s[i]
		if log := s.log.Load(); log == nil || s.hash.Load() == h {
			return log
		}
	}
	return nil
}

// find returns the slot of key, whose hash is h, and its log: nil when t
// does not hold key.
func (t *table) find(key string, h uint64) (uint64, *unitLog) {
	a := t.arr.Load()
	if a == nil {
		return 0, nil
	}
	mask := uint64(len(a.s) - 1)
	for i := a.home(h); ; i = (i + 1) & mask {
		s := &a.s[i]
		if log := s.log.Load(); log == nil || s.hash.Load() == h && log.key == key {
			return i, log
		}
	}
}

// insert adds log, whose key is not in t, under hash h.
func (t *table) insert(h uint64, log *unitLog) {
	a := t.arr.Load()
	if a == nil {
		a = t.resize(minSlots)
	} else if 4*(t.n+1) > 3*len(a.s) {
		a = t.resize(2 * len(a.s))
	}
	a.place(h, log)
	t.n++
}

// place puts log in the first free slot from h's home.
func (a *slots) place(h uint64, log *unitLog) {
	mask := uint64(len(a.s) - 1)
	i := a.home(h)
	for a.s[i].log.Load() != nil {
		i = (i + 1) & mask
	}
	a.s[i].set(h, log)
}

// set makes s hold log under hash h: the hash first, so that a candidate
// that reads the new log reads at least as new a hash.
func (s *slot) set(h uint64, log *unitLog) {
	s.hash.Store(h)
	s.log.Store(log)
}

// resize moves every key to a new array of size slots, a power of two
// larger than the old, and returns it.
func (t *table) resize(size int) *slots {
	a := &slots{s: make([]slot, size), shift: uint(64 - bits.TrailingZeros(uint(size)))}
	if old := t.arr.Load(); old != nil {
		for i := range old.s {
			if log := old.s[i].log.Load(); log != nil {
				a.place(old.s[i].hash.Load(), log)
			}
		}
	}
	t.arr.Store(a)
	return a
}

// clear empties slot i and shifts back the slots after it whose probes
// passed through it, so that every key stays reachable from its home.
func (t *table) clear(i uint64) {
	a := t.arr.Load()
	mask := uint64(len(a.s) - 1)
	for j := (i + 1) & mask; a.s[j].log.Load() != nil; j = (j + 1) & mask {
		// The key at j may move to i unless its home lies cyclically in
		// (i, j]: then a probe for it never passes i.
		if h := a.s[j].hash.Load(); (j-a.home(h))&mask >= (j-i)&mask {
			a.s[i].set(h, a.s[j].log.Load())
			i = j
		}
	}
	a.s[i].set(0, nil)
	t.n--
}

// deleteFunc drops every key whose log drop reports true, visiting each key
// once. It allocates nothing: the array keeps its size, as a map's would,
// so that a take which sweeps allocates nothing either.
func (t *table) deleteFunc(drop func(*unitLog) bool) {
	if t.n == 0 {
		return
	}
	a := t.arr.Load()
	mask := uint64(len(a.s) - 1)
	// Start after an empty slot (there is one: the table is at most 3/4
	// full): no run of slots wraps past it, so a slot that clear shifts
	// back comes from later in its run and is visited after the shift, where
	// the loop stands.
	start := uint64(0)
	for a.s[start].log.Load() != nil {
		start++
	}
	for k, i := 0, (start+1)&mask; k < len(a.s); k++ {
		if log := a.s[i].log.Load(); log != nil && drop(log) {
			t.clear(i)
			k-- // look at i again: clear may have shifted a key there
			continue
		}
		i = (i + 1) & mask
	}
}
