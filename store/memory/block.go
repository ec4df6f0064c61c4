package memorystore

import (
	"context"
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

var _ ratelimit.Blocker = (*Store)(nil)

// TakeBlocking is Take under the block b, as [ratelimit.Blocker] says: a
// blocked key takes nothing and is denied until its block ends, and a
// denial that completes b's count blocks the key, in the same step. The
// store keeps a blocked key until its block is over and would not escalate
// the next one; Reset forgets the block. The errors are Take's,
// and one wrapping [ratelimit.ErrInvalidArgument] for a b that
// [ratelimit.Block.Validate] refuses.
func (s *Store) TakeBlocking(_ context.Context, key string, rates ratelimit.Rates, n int64, b ratelimit.Block) (d ratelimit.Decision, err error) {
	if err = b.Validate(); err != nil {
		return d, fmt.Errorf("memorystore: key %q: %w", key, err)
	}
	// decide's steps, with the block's: decide itself stays as it was, so
	// that takes without a block pay nothing for them.
	if n < 0 || len(rates) == 0 {
		return d, badInput(key, n)
	}
	sh, h, log, now := s.lockKey(key)
	defer sh.mu.Unlock()
	if log == nil {
		if n == 0 {
			return d, decideAbsent(&d, s.alg, rates, max(now, sh.swept), 0)
		}
		if log, err = s.add(sh, key, h, rates, now); err != nil {
			return d, err
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.blk != nil && log.blk.Blocks(log.stamp(now)) {
		err = log.check(&d, rates, log.floor, n)
	} else {
		now = log.stamp(now)
		var changed bool
		if changed, err = log.take(&d, rates, now, n); changed {
			sh.rerated(rates, now)
		}
	}
	if err == nil {
		log.judge(&d, b, log.floor, n)
	}
	return d, err
}

// lockKey locks key's shard, reads the clock and sweeps the shard when due,
// as a take does, and returns the shard, key's hash, its log (nil when the
// store has none) and the clock's reading. The caller unlocks sh.mu.
func (s *Store) lockKey(key string) (sh *shard, h uint64, log *unitLog, now int64) {
	sh, h = s.locate(key)
	now = s.clock.Now()
	sh.mu.Lock()
	if now >= sh.sweepAt.Load() {
		s.sweep(sh, now)
	}
	return sh, h, sh.keys.lookup(key, h), now
}

// judge finishes d, the decision on a take of n units at now, under b (see
// core.BlockState.Judge), keeping the key's block state only while it
// matters.
func (l *unitLog) judge(d *ratelimit.Decision, b ratelimit.Block, now, n int64) {
	if l.blk == nil {
		if d.Allowed || n == 0 || d.RetryAfter == ratelimit.Never {
			return // nothing to count: no state to keep
		}
		l.blk = new(core.BlockState)
	}
	l.blk.Judge(d, b, now, n)
}

// Block blocks key for d from the store's clock, as [ratelimit.Blocker]
// says. A key the store does not hold yet takes room as a first take does:
// the error wraps [ErrTooManyKeys] when none is left. A d that is not a
// whole number of milliseconds from 1ms to [ratelimit.MaxInterval] is an
// error wrapping [ratelimit.ErrInvalidArgument].
func (s *Store) Block(_ context.Context, key string, d time.Duration) error {
	ms, err := core.BlockMillis(d)
	if err != nil {
		return fmt.Errorf("memorystore: key %q: %w", key, err)
	}
	sh, h, log, now := s.lockKey(key)
	defer sh.mu.Unlock()
	if log == nil {
		if log, err = s.admit(sh, key, h, nil, now); err != nil {
			return err
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.blk == nil {
		log.blk = new(core.BlockState)
	}
	log.blk.Hold(log.stamp(now), ms)
	return nil
}
