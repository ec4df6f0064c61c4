package memorystore

import (
	"context"
	"fmt"

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
	if n < 0 || len(rates) == 0 {
		return d, badInput(key, n)
	}
	if err := b.Validate(); err != nil {
		return d, fmt.Errorf("memorystore: key %q: %w", key, err)
	}
	sh, h := s.locate(key)
	now := s.clock.Now()
	sh.mu.Lock()
	err = s.decideLocked(&d, sh, key, h, rates, now, n, true, &b)
	sh.mu.Unlock()
	return d, err
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
