package mpstore

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// The constant-state algorithms, GCRA and the sliding-window counter, keep
// in each key slot, instead of the log's ring, the rates of the key's state
// and a few int64s per rate: the numbers of core.GCRAState (TAT, Rem) or
// core.CounterState (Start, Prev, Cur). core.State decides, and carries the
// state over when a take's rates differ from the stored ones; this file
// only reads and writes it.
//
// The crash-safety invariant: a slot holds a selector word and two copies
// of the state (its rates and numbers), and the state is the copy
// selector&1; the other copy is scratch, never read. A take that changes
// the state writes every word of the new state into the scratch copy, then
// commits it with one aligned 8-byte store (storeWord) of selector+1,
// which makes the scratch copy the state. A process killed at any
// instruction thus leaves either the old state (killed before the selector
// store: the half-written scratch copy is not the state) or the new one,
// never a mix, with nothing to repair. A new key's slot is written (key,
// selector 0, its first state in copy 0) while unpublished, and published
// by one store of its index word, as for the log: a slot in use always
// holds a state of 1 to maxRates rates.

// algorithm is the admission algorithm a file was created for; its value
// is what the header records.
type algorithm int64

const (
	algLog     algorithm = 0 // ratelimit.SlidingWindowLog, in the ring
	algGCRA    algorithm = 1 // ratelimit.GCRA
	algCounter algorithm = 2 // ratelimit.SlidingWindowCounter
)

// names are the algorithms' names, by code.
var names = [...]ratelimit.Algorithm{algLog: ratelimit.SlidingWindowLog, algGCRA: ratelimit.GCRA, algCounter: ratelimit.SlidingWindowCounter}

func (a algorithm) name() ratelimit.Algorithm { return names[a] }

func (a algorithm) String() string {
	if a >= 0 && int(a) < len(names) {
		return string(names[a])
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

// constState is the store's scratch for one key's state, under its lock:
// the decoded state, and the buffers loadState decodes into, so that a
// take of unchanged rates allocates nothing.
type constState struct {
	core.State
	blk     core.BlockState // the key's block, kept with its state
	rates   ratelimit.Rates
	gcra    []core.GCRAState
	counter []core.CounterState
}

func newConstState(alg algorithm, maxRates int) constState {
	return constState{
		State:   core.State{Algorithm: alg.name()},
		rates:   make(ratelimit.Rates, maxRates),
		gcra:    make([]core.GCRAState, maxRates),
		counter: make([]core.CounterState, maxRates),
	}
}

// fresh makes st a key with no history under rates (validated by the
// caller), without allocating: what core.State carries no state to.
func (st *constState) fresh(rates ratelimit.Rates) {
	st.Rates, st.blk = rates, core.BlockState{}
	if st.Algorithm == ratelimit.GCRA {
		st.GCRA = st.gcra[:len(rates)]
		clear(st.GCRA)
	} else {
		st.Counter = st.counter[:len(rates)]
		clear(st.Counter)
	}
}

// selector returns the selector word of the slot at p.
func (m *mapping) selector(p unsafe.Pointer) *int64 {
	return (*int64)(unsafe.Add(p, m.lay.stateOff))
}

// stateWord returns word j of copy c of the state of the slot at p.
func (m *mapping) stateWord(p unsafe.Pointer, c, j int64) *int64 {
	return (*int64)(unsafe.Add(p, m.lay.stateOff+8+c*m.lay.copyLen+8*j))
}

// loadState reads the state of the slot at p into st, and reports why it
// is damaged ("" if it is sound), now being the clock's reading. The
// checks hold for every state this package writes: its rates form a list
// core.Validate accepts (1 to maxRates rates of positive limits and whole,
// increasing intervals of at most ratelimit.MaxInterval, limit × interval
// within core.MaxExact); a GCRA remainder lies in [0, limit) and its
// arrival time is no more than MaxExact/limit ms ahead of now (after a
// limit is lowered, the units owed at the old pace take up to old/new
// times the interval), plus maxKeep for a clock stepped back; a counter's
// window starts at a multiple of its interval, no more than maxKeep ahead
// of now, and its counts lie in [0, MaxExact/interval] (a lowered limit
// keeps the units counted under the old one). The bounds keep every sum
// and product the core forms within an int64.
func (m *mapping) loadState(p unsafe.Pointer, st *constState, now int64) string {
	c := *m.selector(p) & 1
	n := *m.stateWord(p, c, 0)
	if n < 1 || n > m.lay.maxRates {
		return fmt.Sprintf("its state holds %d rates, not 1 to %d", n, m.lay.maxRates)
	}
	rates := st.rates[:n]
	prev := int64(0)
	for i := range n {
		j := 1 + i*m.lay.stride
		limit, iv := *m.stateWord(p, c, j), *m.stateWord(p, c, j+1)
		if limit < 1 || iv <= prev || iv > maxKeep || iv > core.MaxExact/limit {
			return fmt.Sprintf("its state's rate %d is %d per %dms, not a valid rate after %dms", i, limit, iv, prev)
		}
		rates[i], prev = ratelimit.Rate{Limit: limit, Interval: time.Duration(iv) * time.Millisecond}, iv
		if m.lay.alg == algGCRA {
			s := core.GCRAState{TAT: *m.stateWord(p, c, j+2), Rem: *m.stateWord(p, c, j+3)}
			if s.Rem < 0 || s.Rem >= limit || (s.TAT > now && s.TAT-now > core.MaxExact/limit+maxKeep) {
				return fmt.Sprintf("its GCRA state for %v (arrival %d, remainder %d) is not one the rate allows at %d", rates[i], s.TAT, s.Rem, now)
			}
			st.gcra[i] = s
		} else {
			s := core.CounterState{Start: *m.stateWord(p, c, j+2), Prev: *m.stateWord(p, c, j+3), Cur: *m.stateWord(p, c, j+4)}
			if most := core.MaxExact / iv; s.Start%iv != 0 || (s.Start > now && s.Start-now > maxKeep) || s.Prev < 0 || s.Prev > most || s.Cur < 0 || s.Cur > most {
				return fmt.Sprintf("its counter for %v (window at %d, counts %d and %d) is not one the rate allows at %d", rates[i], s.Start, s.Prev, s.Cur, now)
			}
			st.counter[i] = s
		}
	}
	st.Rates = rates
	if m.lay.alg == algGCRA {
		st.GCRA = st.gcra[:n]
	} else {
		st.Counter = st.counter[:n]
	}
	return readBlock(unsafe.Pointer(m.stateWord(p, c, m.lay.blockWord)), &st.blk, now)
}

// saveState makes st the state of the slot at p: written into the scratch
// copy, committed by one store of the selector.
func (m *mapping) saveState(p unsafe.Pointer, st *constState) {
	sel := m.selector(p)
	m.writeCopy(p, (*sel+1)&1, st)
	crashPoint(pointState)
	storeWord(sel, *sel+1)
}

// initState makes st the state of the slot at p, not yet published.
func (m *mapping) initState(p unsafe.Pointer, st *constState) {
	*m.selector(p) = 0
	m.writeCopy(p, 0, st)
}

// writeCopy writes st into copy c of the state of the slot at p.
func (m *mapping) writeCopy(p unsafe.Pointer, c int64, st *constState) {
	*m.stateWord(p, c, 0) = int64(len(st.Rates))
	for i, r := range st.Rates {
		j := 1 + int64(i)*m.lay.stride
		*m.stateWord(p, c, j) = r.Limit
		*m.stateWord(p, c, j+1) = r.IntervalMillis()
		if st.GCRA != nil {
			s := st.GCRA[i]
			*m.stateWord(p, c, j+2), *m.stateWord(p, c, j+3) = s.TAT, s.Rem
		} else {
			s := st.Counter[i]
			*m.stateWord(p, c, j+2), *m.stateWord(p, c, j+3), *m.stateWord(p, c, j+4) = s.Start, s.Prev, s.Cur
		}
	}
	writeBlock(unsafe.Pointer(m.stateWord(p, c, m.lay.blockWord)), &st.blk)
}

// takeConst is take for a constant-state algorithm, under the block b if
// it is not nil; the caller holds the lock and validated rates and n.
func (s *Store) takeConst(d *ratelimit.Decision, k *keyForm, rates ratelimit.Rates, n, now int64, take bool, b *ratelimit.Block) error {
	c, err := s.loadConst(k, rates, now)
	if err != nil {
		return err
	}
	// With a check too: the state decided on is the scratch one, which
	// is saved only below. A blocked key's take is judged as a check.
	st := &s.st
	take = take && (b == nil || !st.blk.Blocks(now))
	if err := st.Decide(d, rates, now, n, true); err != nil {
		return fmt.Errorf("mpstore: %w", err)
	}
	judged := false
	if b != nil {
		was := st.blk
		if st.blk.Judge(d, *b, now, n); st.blk != was {
			// Saved with the state, in the same commit.
			s.blockChanged(&was, &st.blk)
			judged = true
		}
	}
	if !take || !(c.changed || d.Allowed && n > 0 || judged) {
		return nil
	}
	return s.storeConst(k, c, now)
}

// constKey is where loadConst found a key's state.
type constKey struct {
	slot, free int64 // the key's slot if found, else find's free slot
	found      bool
	changed    bool // the key's state is kept under other rates
}

// loadConst reads key k's state into s.st, or makes s.st a state with no
// history under rates when k has no slot.
func (s *Store) loadConst(k *keyForm, rates ratelimit.Rates, now int64) (constKey, error) {
	st := &s.st
	slot, free, found, err := s.find(k)
	c := constKey{slot: slot, free: free, found: found}
	if err != nil {
		return c, err
	}
	if found {
		if bad := s.m.loadState(s.m.slot(slot), st, now); bad != "" {
			return c, s.errDamaged(slot, k.key, bad)
		}
		c.changed = !equal(st.Rates, rates)
		return c, nil
	}
	if err := core.Validate(st.Algorithm, rates); err != nil {
		return c, fmt.Errorf("mpstore: %w", err)
	}
	st.fresh(rates)
	return c, nil
}

// storeConst makes s.st key k's state, where loadConst found it at now: in
// a slot claimed for it, or in its own.
func (s *Store) storeConst(k *keyForm, c constKey, now int64) error {
	if !c.found {
		// A slot is taken only to store, with its first state written
		// before it is published. claim's sweep reads states into
		// s.scan, never into st.
		slot, err := s.claim(k, c.free, now)
		if err != nil {
			return err
		}
		s.m.initState(s.m.slot(slot), &s.st)
		s.publish(slot, k)
		return nil
	}
	if c.changed {
		// The carried state may count nothing sooner than the hint says.
		s.m.forgetIdleHint()
	}
	s.m.saveState(s.m.slot(c.slot), &s.st)
	return nil
}

// equal reports whether a and b are the same rates.
func equal(a, b ratelimit.Rates) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// slotIdle reports whether slot i's state counts nothing at now, and when
// it will if not. A state that fails its checks is never idle.
func (s *Store) slotIdle(i, now int64) (bool, int64) {
	st := &s.scan
	if s.m.loadState(s.m.slot(i), st, now) != "" {
		return false, maxTime
	}
	if at := max(st.IdleAt(), st.blk.Idle); at > now {
		return false, at
	}
	return true, 0
}
