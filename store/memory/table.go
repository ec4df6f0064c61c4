package memorystore

import "math/bits"

// table holds a shard's keys by their hash: open addressing with linear
// probing over slots that keep each key's hash beside its log. A take hashes
// its key once, to pick the shard and the slot; a lookup reads one slot (two
// on a collision) and compares the key only where the whole hash matches.
// Keys whose hashes are equal take the next free slots, like any other
// collision, so every key string works. Hashes are seeded per store
// (hasher), so that no one can aim many keys at one run of slots.
//
// The zero table is empty. It is not safe for concurrent use.
type table struct {
	slots []slot // nil, or a power of two of them, at most 3/4 used
	n     int    // slots in use: the keys held
	shift uint   // 64 - log2(len(slots)): a hash's top bits pick its home slot
}

// slot is a key's log and hash; an empty slot has a nil log.
type slot struct {
	hash uint64
	log  *unitLog
}

// minSlots is the size of a table's first array.
const minSlots = 8

// home returns the slot where a probe for hash h starts. The top bits are
// independent of the low ones that picked the shard. (shift is below 64:
// the mask spares the compiler's check for a larger one.)
func (t *table) home(h uint64) uint64 { return h >> (t.shift & 63) }

// lookup returns the log of key, whose hash is h, or nil.
func (t *table) lookup(key string, h uint64) *unitLog {
	_, log := t.find(key, h)
	return log
}

// find returns the slot of key, whose hash is h, and its log: nil when t
// does not hold key.
func (t *table) find(key string, h uint64) (uint64, *unitLog) {
	if t.n == 0 {
		return 0, nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(h); ; i = (i + 1) & mask {
		if s := &t.slots[i]; s.log == nil || s.hash == h && s.log.key == key {
			return i, s.log
		}
	}
}

// insert adds log, whose key is not in t, under hash h.
func (t *table) insert(h uint64, log *unitLog) {
	if 4*(t.n+1) > 3*len(t.slots) {
		t.resize(max(2*len(t.slots), minSlots))
	}
	t.place(h, log)
	t.n++
}

// place puts log in the first free slot from h's home.
func (t *table) place(h uint64, log *unitLog) {
	mask := uint64(len(t.slots) - 1)
	i := t.home(h)
	for t.slots[i].log != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = slot{h, log}
}

// resize moves every key to a new array of size slots, a power of two
// larger than the old.
func (t *table) resize(size int) {
	old := t.slots
	t.slots = make([]slot, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for _, s := range old {
		if s.log != nil {
			t.place(s.hash, s.log)
		}
	}
}

// remove drops key, whose hash is h, if t holds it, and reports whether it
// did.
func (t *table) remove(key string, h uint64) bool {
	i, log := t.find(key, h)
	if log != nil {
		t.clear(i)
	}
	return log != nil
}

// clear empties slot i and shifts back the slots after it whose probes
// passed through it, so that every key stays reachable from its home.
func (t *table) clear(i uint64) {
	mask := uint64(len(t.slots) - 1)
	for j := (i + 1) & mask; t.slots[j].log != nil; j = (j + 1) & mask {
		// The key at j may move to i unless its home lies cyclically in
		// (i, j]: then a probe for it never passes i.
		if k := t.home(t.slots[j].hash); (j-k)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = slot{}
	t.n--
}

// deleteFunc drops every key whose log drop reports true, visiting each key
// once. It allocates nothing: the array keeps its size, as a map's would,
// so that a take which sweeps allocates nothing either.
func (t *table) deleteFunc(drop func(*unitLog) bool) {
	if t.n == 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	// Start after an empty slot (there is one: the table is at most 3/4
	// full): no run of slots wraps past it, so a slot that clear shifts
	// back comes from later in its run and is visited after the shift, where
	// the loop stands.
	start := uint64(0)
	for t.slots[start].log != nil {
		start++
	}
	for k, i := 0, (start+1)&mask; k < len(t.slots); k++ {
		if s := &t.slots[i]; s.log != nil && drop(s.log) {
			t.clear(i)
			k-- // look at i again: clear may have shifted a key there
			continue
		}
		i = (i + 1) & mask
	}
}
