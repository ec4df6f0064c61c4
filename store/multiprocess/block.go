package mpstore

import (
	"context"
	"fmt"
	"time"
	"unsafe"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// A key's block (core.BlockState) is blockWords words of its slot, in the
// order Until, Level, Denials, Since, Idle: under the log, after the log's
// words, written through the journal, so that a process killed in the
// middle leaves the old block or the new one; under GCRA and the counter,
// at the end of each copy of the state, committed with the state by the
// selector's one store. A slot claimed for a key starts with a zero block
// (or, under GCRA and the counter, the block Store.Block sets), and a slot
// is released only once its block is idle too, so a key keeps its block
// until Reset releases its slot.
const (
	blockWords = 5
	bIdle      = 4 // the word of Idle
)

// holdRates are the rates of a key that Store.Block gives a slot before
// its first take, with no history: a constant state holds at least one
// rate, and one with no history carries over to any take's rates as a key
// with none; under the log, the empty log keeps units for its interval.
var holdRates = ratelimit.Rates{{Limit: 1, Interval: time.Millisecond}}

var _ ratelimit.Blocker = (*Store)(nil)

// TakeBlocking is Take under the block b, as [ratelimit.Blocker] says,
// under the file's lock like a take, so that blocks are shared by every
// process that maps the file: while key's block lasts, the take is judged
// as Check would judge it and stores nothing; otherwise it is a take, and
// a denial that b counts changes the key's block, committed as one change
// with the take. The block is kept in the key's slot, which is not
// released to another key until the block is over and would not escalate
// the next one ([core.BlockState].Idle); Reset forgets it with the key's
// units. Like Take's, the wait for the lock is not bounded by ctx. Its
// errors are Take's, and one wrapping [ratelimit.ErrInvalidArgument] for a
// b that [ratelimit.Block.Validate] refuses.
func (s *Store) TakeBlocking(_ context.Context, key string, rates ratelimit.Rates, n int64, b ratelimit.Block) (d ratelimit.Decision, err error) {
	if err = b.Validate(); err != nil {
		return d, fmt.Errorf("mpstore: key %q: %w", key, err)
	}
	err = s.op(&d, key, rates, n, true, &b)
	return
}

// Block blocks key for d from the store's clock, as [ratelimit.Blocker]
// says, under the file's lock like a take, so that every process that maps
// the file sees the block: [core.BlockState.Hold] changes the key's block,
// committed as TakeBlocking commits a block it changes, so that a process
// killed in the middle leaves the old block or the new one. A key with no
// slot takes one as a first take does, holding no units; the block keeps
// the slot as TakeBlocking's blocks do, and Reset forgets it. Like Take's,
// the wait for the lock is not bounded by ctx. It fails, blocking
// nothing, with an error wrapping [ratelimit.ErrInvalidArgument] when d is
// not a whole number of milliseconds from 1ms to [ratelimit.MaxInterval];
// [ErrFull] when key has no slot and every key slot holds a key that
// still counts; [ErrDamaged] when the file was truncated or key's slot, or
// the index on the way to it, fails its checks; [ratelimit.ErrClosed]
// after Close.
func (s *Store) Block(_ context.Context, key string, d time.Duration) error {
	ms, err := core.BlockMillis(d)
	if err != nil {
		return fmt.Errorf("mpstore: key %q: %w", key, err)
	}
	k := newKeyForm(key, s.lay.keyLen)
	return s.locked(nil, func(now int64) error {
		if s.alg != algLog {
			return s.holdConst(&k, ms, now)
		}
		return s.holdLog(&k, ms, now)
	})
}

// holdLog is Block of key k for ms under the log; the caller holds the
// lock. A key with no slot gets an empty one, published with no block,
// then blocked through the journal as a slot found is.
func (s *Store) holdLog(k *keyForm, ms, now int64) error {
	slot, free, found, err := s.find(k)
	if err != nil {
		return err
	}
	var blk core.BlockState
	if !found {
		err = s.claimLog(k, free, now, holdRates.Largest().IntervalMillis(), 0, 0)
	} else if bad := readBlock(s.log.block(), &blk, now); bad != "" {
		err = s.errDamaged(slot, k.key, bad)
	}
	if err != nil {
		return err
	}
	was := blk
	blk.Hold(now, ms)
	s.storeBlock(&was, &blk)
	return nil
}

// holdConst is Block of key k for ms under GCRA or the counter; the caller
// holds the lock. The key's block is saved with its state, which keeps its
// rates; a key with no slot is claimed one, with no history under
// holdRates.
func (s *Store) holdConst(k *keyForm, ms, now int64) error {
	c, err := s.loadConst(k, holdRates, now)
	if err != nil {
		return err
	}
	c.changed = false // the key keeps the rates it has: only its block changes
	st := &s.st
	was := st.blk
	if st.blk.Hold(now, ms); st.blk == was {
		return nil // blocked longer already
	}
	s.blockChanged(&was, &st.blk)
	return s.storeConst(k, c, now)
}

// readBlock reads the block at p into b and reports why it is damaged (""
// if it is sound), now being the clock's reading: a level above the most
// Judge reaches, a negative count, or a block that ends further ahead than
// the longest block and a clock stepped back by as much allow.
func readBlock(p unsafe.Pointer, b *core.BlockState, now int64) string {
	w := (*[blockWords]int64)(p)
	b.Until, b.Level, b.Denials, b.Since, b.Idle = w[0], w[1], w[2], w[3], w[4]
	if b.Level < 0 || b.Level > 64 || b.Denials < 0 || (b.Until > now && b.Until-now > 2*maxKeep) {
		return fmt.Sprintf("its block (until %d, level %d, %d denials) is not one a take leaves at %d", b.Until, b.Level, b.Denials, now)
	}
	return ""
}

// writeBlock writes b at p.
func writeBlock(p unsafe.Pointer, b *core.BlockState) { *(*[blockWords]int64)(p) = wordsOf(b) }

// wordsOf returns b's words, in the order of the file.
func wordsOf(b *core.BlockState) [blockWords]int64 {
	return [blockWords]int64{b.Until, b.Level, b.Denials, b.Since, b.Idle}
}

// block returns where the log's block is.
func (l *slotLog) block() unsafe.Pointer { return unsafe.Add(l.lw, lBlock) }

// setBlock makes b the log's block, in one commit through the journal.
func (l *slotLog) setBlock(b *core.BlockState) {
	j := journal{m: l.m}
	w := (*[blockWords]int64)(l.block())
	for i, v := range wordsOf(b) {
		j.set(&w[i], v)
	}
	j.commit()
}

// judgeLog finishes d, the decision on a take of n units at now of the
// key whose log is s.log, under b: blk is the key's block as read before
// the take, written back if the decision changed it.
func (s *Store) judgeLog(d *ratelimit.Decision, b *ratelimit.Block, blk core.BlockState, now, n int64) {
	was := blk
	blk.Judge(d, *b, now, n)
	s.storeBlock(&was, &blk)
}

// storeBlock makes blk the block of the key whose log is s.log, in one
// commit through the journal, if it differs from was, the block read.
func (s *Store) storeBlock(was, blk *core.BlockState) {
	if *blk != *was {
		s.blockChanged(was, blk)
		s.log.setBlock(blk)
	}
}

// blockChanged clears the idle hint before a key's block changes from was
// to blk, when it makes the key idle sooner: a block set once the denials
// counted toward it are over.
func (s *Store) blockChanged(was, blk *core.BlockState) {
	if blk.Idle < was.Idle {
		s.m.forgetIdleHint()
	}
}
