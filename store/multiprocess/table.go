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
//   - a slot is claimed by writing its key and an empty log while its
//     index word says empty or released, then publishing the key's hash;
//   - a slot is released (its key idle) by marking it released, never empty,
//     so probes for the keys beyond it go on; a released word followed by an
//     empty one is turned empty, from the end of the run backwards, since no
//     probe can need it.

// find returns key k's slot, or where it may be placed: the first empty or
// released slot of its probe sequence (-1 if every slot is in use).
func (s *Store) find(k *keyForm) (slot, free int64, found bool) {
	m, n := &s.m, s.m.lay.maxKeys
	i, free := int64(k.hash%uint64(n)), int64(-1)
	for range n {
		switch w := uint64(*m.index(i)); w {
		case k.hash:
			s.log.bind(m, i)
			if s.log.holds(k) {
				return i, -1, true
			}
		case indexEmpty:
			if free < 0 {
				free = i
			}
			return -1, free, false
		case indexReleased:
			if free < 0 {
				free = i
			}
		}
		if i++; i == n {
			i = 0
		}
	}
	return -1, free, false
}

// claim gives k a slot: free (from find) or, when there is none, one
// released by dropping idle keys at now. Its log is empty.
func (s *Store) claim(k *keyForm, free, now int64) (int64, error) {
	if free < 0 {
		if hint := *s.m.at(hIdleAt); hint != 0 && now < hint {
			return -1, s.errKeysFull(k.name)
		}
		s.sweep(now)
		if _, free, _ = s.find(k); free < 0 {
			return -1, s.errKeysFull(k.name)
		}
	}
	l := &s.log
	l.bind(&s.m, free)
	if s.m.lay.alg == algLog {
		l.reset()
	} else {
		s.m.resetState(l.p)
	}
	l.setKey(k)
	crashPoint(pointClaim)
	storeWord(s.m.index(free), int64(k.hash))
	return free, nil
}

func (s *Store) errKeysFull(name string) error {
	return fmt.Errorf("%w: all %d key slots hold keys with units inside the last %dms, while adding %q",
		ErrFull, s.m.lay.maxKeys, s.maxInterval, name)
}

// sweep releases the slots of keys idle at now. When it finds none, it
// records as the idle hint the earliest time a key can become idle, so that
// new keys fail fast until then: the table stays full until a sweep
// releases a slot, and keys only become idle sooner by a flush or a leak,
// which clear the hint.
func (s *Store) sweep(now int64) {
	m, l := &s.m, &s.log
	next, released := int64(math.MaxInt64), false
	for i := range m.lay.maxKeys {
		if uint64(*m.index(i))&indexInUse == 0 {
			continue
		}
		if m.lay.alg != algLog {
			if idle, at := s.slotIdle(i, now); idle {
				s.release(i)
				released = true
			} else {
				next = min(next, at)
			}
			continue
		}
		l.bind(m, i)
		if l.idle(now, s.maxInterval) {
			s.release(i)
			released = true
		} else {
			if newest, _ := l.newest(); newest < math.MaxInt64-s.maxInterval {
				next = min(next, newest+s.maxInterval+1)
			}
		}
	}
	if released {
		next = 0
	}
	storeWord(m.at(hIdleAt), next)
}

// release frees slot i, whose key is idle.
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
// idle sooner than the hint says (a flush, a leak that empties a log).
func (m *mapping) forgetIdleHint() {
	if *m.at(hIdleAt) != 0 {
		storeWord(m.at(hIdleAt), 0)
	}
}
