package mpstore

import (
	"fmt"
	"math"
	"time"
	"unsafe"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// The constant-state algorithms, GCRA and the sliding-window counter, keep
// a few int64s per rate in each key slot instead of the log's ring: the
// numbers of ratelimit.GCRAState (TAT, Rem) or ratelimit.CounterState
// (Start, Prev, Cur), rate after rate. The core decides; this file only
// reads and writes them.
//
// The crash-safety invariant: a slot holds a selector word and two copies
// of the state, and the state is the copy selector&1; the other copy is
// scratch, never read. A put that changes the state writes every word of
// the new state into the scratch copy, then commits it with one aligned
// 8-byte store (storeWord) of selector+1, which makes the scratch copy the
// state. A flush and a leak commit an all-zero state the same way. A
// process killed at any instruction thus leaves either the old state
// (killed before the selector store: the half-written scratch copy is not
// the state) or the new one, never a mix, with no journal and nothing to
// repair. A new key's slot is written (key, selector 0, copy 0 all zeros:
// a key with no history) while unpublished, and published by one store of
// its index word, as for the log; its first state is committed after that,
// so a crash in between leaves an idle key with no history, which a sweep
// releases.

// algorithm is the admission algorithm a file was created for; its value
// is what the header records.
type algorithm int64

const (
	algLog     algorithm = 0 // ratelimit.SlidingWindowLog, in the ring; 0 in files older than the word
	algGCRA    algorithm = 1 // ratelimit.GCRA
	algCounter algorithm = 2 // ratelimit.SlidingWindowCounter
)

// parseAlgorithm maps a ratelimit.Algorithm onto the store's, checking that
// rates suit it.
func parseAlgorithm(a ratelimit.Algorithm, rates ratelimit.Rates) (algorithm, error) {
	if err := a.Validate(rates); err != nil {
		return algLog, fmt.Errorf("mpstore: %w", err)
	}
	return algorithm(a.Ordinal()), nil
}

func (a algorithm) String() string {
	switch a {
	case algLog:
		return string(ratelimit.AlgorithmSlidingWindowLog)
	case algGCRA:
		return string(ratelimit.AlgorithmGCRA)
	case algCounter:
		return string(ratelimit.AlgorithmSlidingWindowCounter)
	}
	return fmt.Sprintf("unknown algorithm %d", int64(a))
}

// stateWords is the number of int64s the algorithm keeps per rate.
func (a algorithm) stateWords() int64 {
	switch a {
	case algGCRA:
		return 2
	case algCounter:
		return 3
	}
	return 0
}

// constState is the state of one key, decoded: one entry per rate of the
// algorithm's kind. The store keeps two as scratch under its lock.
type constState = ratelimit.KeyState

func newConstState(alg algorithm, rates int) constState {
	switch alg {
	case algGCRA:
		return ratelimit.NewKeyState(ratelimit.AlgorithmGCRA, rates)
	case algCounter:
		return ratelimit.NewKeyState(ratelimit.AlgorithmSlidingWindowCounter, rates)
	}
	return constState{}
}

// selector returns the selector word of the slot at p.
func (m *mapping) selector(p unsafe.Pointer) *int64 {
	return (*int64)(unsafe.Add(p, m.lay.stateOff))
}

// stateWord returns word j of copy c of the state of the slot at p.
func (m *mapping) stateWord(p unsafe.Pointer, c, j int64) *int64 {
	return (*int64)(unsafe.Add(p, m.lay.stateOff+8+c*m.lay.stateLen+8*j))
}

// loadState reads the state of the slot at p into c, and reports why it
// is damaged ("" if it is sound): a GCRA remainder outside [0, limit), or
// a counter whose window does not start at a multiple of its interval or
// whose counts lie outside [0, limit], is state this package never writes.
// A theoretical arrival time cannot be checked: any value is one a put at
// some time leaves.
func (m *mapping) loadState(p unsafe.Pointer, c *constState, rates ratelimit.Rates) string {
	cur := *m.selector(p) & 1
	for i := range c.GCRA {
		s := ratelimit.GCRAState{TAT: *m.stateWord(p, cur, 2*int64(i)), Rem: *m.stateWord(p, cur, 2*int64(i)+1)}
		if s.Rem < 0 || s.Rem >= rates[i].Limit {
			return fmt.Sprintf("its GCRA state for %v has the remainder %d, outside 0 to %d", rates[i], s.Rem, rates[i].Limit-1)
		}
		c.GCRA[i] = s
	}
	for i := range c.Counter {
		j := 3 * int64(i)
		s := ratelimit.CounterState{Start: *m.stateWord(p, cur, j), Prev: *m.stateWord(p, cur, j+1), Cur: *m.stateWord(p, cur, j+2)}
		if r := rates[i]; s.Start%r.IntervalMillis() != 0 || s.Prev < 0 || s.Prev > r.Limit || s.Cur < 0 || s.Cur > r.Limit {
			return fmt.Sprintf("its counter for %v (window at %d, counts %d and %d) is not one the rate allows", r, s.Start, s.Prev, s.Cur)
		}
		c.Counter[i] = s
	}
	return ""
}

// saveState makes c the state of the slot at p: written into the scratch
// copy, committed by one store of the selector.
func (m *mapping) saveState(p unsafe.Pointer, c *constState) {
	sel := m.selector(p)
	next := (*sel + 1) & 1
	for i, s := range c.GCRA {
		*m.stateWord(p, next, 2*int64(i)) = s.TAT
		*m.stateWord(p, next, 2*int64(i)+1) = s.Rem
	}
	for i, s := range c.Counter {
		j := 3 * int64(i)
		*m.stateWord(p, next, j) = s.Start
		*m.stateWord(p, next, j+1) = s.Prev
		*m.stateWord(p, next, j+2) = s.Cur
	}
	crashPoint(pointState)
	storeWord(sel, *sel+1)
}

// resetState gives the unpublished slot at p an empty state: selector 0,
// copy 0 all zeros.
func (m *mapping) resetState(p unsafe.Pointer) {
	*m.selector(p) = 0
	for j := range m.lay.stateLen / 8 {
		*m.stateWord(p, 0, j) = 0
	}
}

// putConst is put for a constant-state algorithm.
func (s *Store) putConst(d *ratelimit.Decision, key string, item ratelimit.Item, now bool) (err error) {
	k := newKeyForm(key, s.m.lay.keyLen)
	if err = s.lock(); err != nil {
		return err
	}
	defer s.unlock(&err, d)
	if now {
		item.Time = s.stamp()
	}
	st := &s.st
	slot, free, found, err := s.find(&k)
	if err != nil {
		return err
	}
	if found {
		if bad := s.m.loadState(s.log.p, st, s.rates); bad != "" {
			return s.errDamaged(slot, key, bad)
		}
	} else {
		st.Reset()
	}
	st.DecideInto(d, s.rates, item.Time, item.Weight)
	if !d.Allowed || item.Weight == 0 {
		return nil
	}
	if !found {
		// A slot is taken only to store. claim's sweep reads states
		// into s.scan, never into st.
		if slot, err = s.claim(&k, free, min(item.Time, s.now())); err != nil {
			return err
		}
	}
	s.m.saveState(s.m.slot(slot), st)
	return nil
}

// withState runs fn on name's state, loaded into s.st (nil if name has no
// slot), under the lock; p is the slot. A state that fails its checks is
// an error wrapping ErrDamaged (with reports l.bad, as for a log), and fn
// is not run.
func (s *Store) withState(name string, fn func(p unsafe.Pointer, st *constState)) error {
	return s.with(name, func(l *slotLog) {
		if l == nil {
			fn(nil, nil)
			return
		}
		if l.bad = s.m.loadState(l.p, &s.st, s.rates); l.bad == "" {
			fn(l.p, &s.st)
		}
	})
}

// slotIdle reports whether slot i's state counts nothing at now, and when
// it will if not. A state that fails its checks is never idle.
func (s *Store) slotIdle(i, now int64) (bool, int64) {
	st := &s.scan
	if s.m.loadState(s.m.slot(i), st, s.rates) != "" {
		return false, math.MaxInt64
	}
	if at := st.IdleAt(s.rates); at > now {
		return false, at
	}
	return true, 0
}

// leakConst is Store.Leak for a constant-state algorithm: it releases the
// slots of the keys whose state counts nothing at now, and returns those
// whose state fails its checks.
func (s *Store) leakConst(now int64) (damaged []int64) {
	m := &s.m
	for i := range m.lay.maxKeys {
		if uint64(*m.index(i))&indexInUse == 0 {
			continue
		}
		if s.m.loadState(s.m.slot(i), &s.scan, s.rates) != "" {
			damaged = append(damaged, i)
		} else if s.scan.IdleAt(s.rates) <= now {
			m.forgetIdleHint()
			s.release(i)
		}
	}
	return damaged
}

// The view's operations under a constant-state algorithm.

func (b *keyBucket) waitingConst(item ratelimit.Item) (time.Duration, error) {
	var wait time.Duration
	err := b.s.withState(b.name, func(_ unsafe.Pointer, st *constState) {
		if st == nil {
			st = &b.s.st
			st.Reset()
		}
		var d ratelimit.Decision
		st.DecideInto(&d, b.s.rates, item.Time, item.Weight) // on the scratch copy: nothing saved
		wait = d.RetryAfter
	})
	return wait, err
}

func (b *keyBucket) leakConst(now int64) error {
	s := b.s
	return s.withState(b.name, func(p unsafe.Pointer, st *constState) {
		s.advance(min(now, s.clock.Now())) // see memorystore's Bucket.Leak
		if st != nil && st.IdleAt(s.rates) <= now {
			// now may be ahead of the clock: the key may go idle sooner
			// than the hint says.
			s.m.forgetIdleHint()
			st.Reset()
			s.m.saveState(p, st)
		}
	})
}

func (b *keyBucket) flushConst() error {
	s := b.s
	return s.withState(b.name, func(p unsafe.Pointer, st *constState) {
		if st != nil {
			s.m.forgetIdleHint()
			st.Reset()
			s.m.saveState(p, st)
		}
	})
}

func (b *keyBucket) countConst() (int64, error) {
	var n int64
	err := b.s.withState(b.name, func(_ unsafe.Pointer, st *constState) {
		if st != nil {
			n = st.Count(b.s.rates, b.s.now())
		}
	})
	return n, err
}

func (b *keyBucket) peekConst(i int64) (ratelimit.Item, bool, error) {
	if err := b.s.with(b.name, func(*slotLog) {}); err != nil {
		return ratelimit.Item{}, false, err
	}
	return ratelimit.Item{}, false, fmt.Errorf("mpstore: Peek(%d): %w", i, ratelimit.ErrNoHistory)
}
