package mpstore

import (
	"fmt"
	"math"
)

// The index is an open-addressing table with linear probing over the slots,
// placed by a hash stable across processes (see keyForm). Its invariant: a
// key in use sits at the first slot of its probe sequence, from its home
// slot, that was not in use when it was placed, and no empty word lies
// between its home and it. Each change is one store of an index word:
//
//   - a slot is claimed by writing its key and its first state while its
//     index word says empty or released, then publishing the key's hash;
//   - a slot is released (its key idle, or reset) by marking it released,
//     never empty, so probes for the keys beyond it go on; a released word
//     followed by an empty one is turned empty, from the end of the run
//     backwards, since no probe can need it.

// find returns key k's slot, or where it may be placed: the first empty or
// released slot of its probe sequence (-1 if every slot is in use). With
// the log, s.log is bound to the slot found.
//
// A damaged index could send k to a fresh slot while its own still counts
// units, so what the probe passes is checked, at no cost on the common
// path: an index word this package does not write, a slot that holds k
// under another key's word, k's word over a slot whose key does not hash
// to it (a key record overwritten, not a collision), or k's slot whose log
// fails its checks, is an error wrapping ErrDamaged. claim checks more
// before it gives k a fresh slot.
func (s *Store) find(k *keyForm) (slot, free int64, found bool, err error) {
	m, n := &s.m, s.m.lay.maxKeys
	i, free := int64(k.hash%uint64(n)), int64(-1)
	for range n {
		switch w := uint64(*m.index(i)); {
		case w == k.hash:
			p := m.slot(i)
			if m.holds(p, k) {
				if m.lay.alg == algLog {
					if s.log.bind(m, i); s.log.bad != "" {
						return -1, -1, false, s.errDamaged(i, k.key, s.log.bad)
					}
				}
				return i, -1, true, nil
			}
			if h, ok := m.keyHash(p); !ok || h != w {
				return -1, -1, false, s.errDamaged(i, k.key, fmt.Sprintf("its key record does not hash to its index word %#x", w))
			}
		case w == indexEmpty:
			if free < 0 {
				free = i
			}
			return -1, free, false, nil
		case w == indexReleased:
			if free < 0 {
				free = i
			}
		case w&indexInUse == 0:
			return -1, -1, false, s.errDamaged(i, k.key, fmt.Sprintf("its index word %#x is not one this package writes", w))
		default:
			if m.holds(m.slot(i), k) {
				return -1, -1, false, s.errDamaged(i, k.key, fmt.Sprintf("it holds the key under the index word %#x, not the key's %#x", w, k.hash))
			}
		}
		if i++; i == n {
			i = 0
		}
	}
	return -1, free, false, nil
}

// checkProbe checks, before k, absent, gets a fresh slot, that every slot
// in use that find's probe passed (up to its first empty slot, where find
// stopped: the index has not changed since) holds a key that hashes to its
// index word: k's own slot, its word and its key record both overwritten,
// would pass find's checks as another key's, and k would start again with
// no history. It costs a hash of each key passed, on this path only.
func (s *Store) checkProbe(k *keyForm) error {
	m, n := &s.m, s.m.lay.maxKeys
	i := int64(k.hash % uint64(n))
	for range n {
		w := uint64(*m.index(i))
		if w == indexEmpty {
			break
		}
		if w&indexInUse != 0 {
			if h, ok := m.keyHash(m.slot(i)); !ok || h != w {
				return s.errDamaged(i, k.key, fmt.Sprintf("its key record does not hash to its index word %#x", w))
			}
		}
		if i++; i == n {
			i = 0
		}
	}
	return nil
}

// claim finds k, which find reported absent, a slot to write while it is
// not published: free (from find) or, when there is none, one released by
// dropping idle keys at now, with k's key record written. The caller
// writes k's first state into it, then publishes it.
func (s *Store) claim(k *keyForm, free, now int64) (int64, error) {
	if free < 0 {
		if hint := *s.m.at(hIdleAt); hint != 0 && now < hint {
			return -1, s.errKeysFull(k.key)
		}
		s.sweep(now)
		var err error
		if _, free, _, err = s.find(k); err != nil {
			return -1, err
		}
		if free < 0 {
			return -1, s.errKeysFull(k.key)
		}
	}
	if err := s.checkProbe(k); err != nil {
		return -1, err
	}
	s.m.setKey(s.m.slot(free), k)
	return free, nil
}

// publish makes slot, written by its claimer, k's: one store of its index
// word.
func (s *Store) publish(slot int64, k *keyForm) {
	crashPoint(pointClaim)
	storeWord(s.m.index(slot), int64(k.hash))
}

func (s *Store) errKeysFull(key string) error {
	return fmt.Errorf("%w: all %d key slots hold keys whose state still counts, while adding %q",
		ErrFull, s.m.lay.maxKeys, key)
}

// maxTime is a time no key becomes idle at.
const maxTime = math.MaxInt64

// sweep releases the slots of keys idle at now. When it finds none, it
// records as the idle hint the earliest time a key can become idle, so that
// new keys fail fast until then: the table stays full until a sweep or a
// reset releases a slot, and keys only become idle sooner by a take of
// shorter intervals or other rates, which clears the hint, as a reset
// does (the slot it frees may go to a key that goes idle sooner). A slot that fails its
// checks (see ErrDamaged) is never released.
func (s *Store) sweep(now int64) {
	m, l := &s.m, &s.log
	next, released := int64(maxTime), false
	for i := range m.lay.maxKeys {
		if uint64(*m.index(i))&indexInUse == 0 {
			continue
		}
		if m.lay.alg != algLog {
			// A slot that fails its checks is never idle: it stays.
			if idle, at := s.slotIdle(i, now); idle {
				s.release(i)
				released = true
			} else {
				next = min(next, at)
			}
			continue
		}
		l.bind(m, i)
		if l.bad != "" {
			continue // it stays
		}
		if at := l.idleAt(); now >= at {
			s.release(i)
			released = true
		} else {
			next = min(next, at)
		}
	}
	if released {
		next = 0
	}
	storeWord(m.at(hIdleAt), next)
}

// release frees slot i, whose key is idle or reset.
func (s *Store) release(i int64) {
	m, n := &s.m, s.m.lay.maxKeys
	storeWord(m.index(i), indexReleased)
	if *m.index((i + 1) % n) != indexEmpty {
		return
	}
	for range n {
		if *m.index(i) != indexReleased {
			return
		}
		storeWord(m.index(i), indexEmpty)
		i = (i - 1 + n) % n
	}
}

// forgetIdleHint clears the idle hint before a change that may make a key
// idle sooner than the hint says.
func (m *mapping) forgetIdleHint() {
	if *m.at(hIdleAt) != 0 {
		storeWord(m.at(hIdleAt), 0)
	}
}
