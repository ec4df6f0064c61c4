package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// TakeBlocking is Take under the block b, as [ratelimit.Blocker] says, in
// one round trip, shared with concurrent takes as Take's is (the batch
// runs this take's function for it, in lock order; its ctx and errors are
// Take's there): one call of a PL/pgSQL function that mirrors
// [core.BlockState] and, in one transaction under the key's advisory lock
// (taken first under every algorithm, waiting for it as the log's Take
// does, bounded by ctx), reads the clock and the key's block state, judges
// the take as a check (taking nothing) while the key is blocked and as a
// take otherwise, then counts a denial and blocks the key as
// [core.BlockState.Judge] does, writing the state back when the decision
// changed it. So a block is shared exactly by every process and host that
// uses the table, and outlives the Store. The state is one row per key in
// a table of its own (the table's name with the suffix _block), kept until
// the block is over, would not escalate the next one, and no counted
// denial still counts; the sweeper deletes it from then on, and Reset
// deletes it with the key's units, which unblocks the key.
//
// The errors are Take's, and one wrapping [ratelimit.ErrInvalidArgument]
// for a b that [ratelimit.Block.Validate] refuses; bad input touches
// nothing.
func (s *Store) TakeBlocking(ctx context.Context, key string, rates ratelimit.Rates, n int64, b ratelimit.Block) (ratelimit.Decision, error) {
	if s.batch.max > 1 {
		return s.batched(ctx, key, rates, n, &b)
	}
	var d ratelimit.Decision
	err := s.call(ctx, &d, "take", key, rates, n, 0, &b)
	return d, err
}

// Block blocks key for d from the Store's clock (the server's, under the
// log never before the key's newest row, as a take reads it; or the
// [WithClock] clock's reading), as [ratelimit.Blocker] says, in one round
// trip: one call of the function TakeBlocking calls, under the key's
// advisory lock, which keeps a longer block as it is and leaves the key's
// escalation as it was ([core.BlockState.Hold]). Until the block's end,
// TakeBlocking denies key in every process that uses the table, whatever
// its Block; Take and Check do not see it, and Reset lifts it.
//
// A d that is not a whole number of milliseconds from 1ms to
// [ratelimit.MaxInterval] is an error wrapping
// [ratelimit.ErrInvalidArgument], and touches nothing; after Close the
// error wraps [ratelimit.ErrClosed]; otherwise an error is a database
// failure, naming the key.
func (s *Store) Block(ctx context.Context, key string, d time.Duration) error {
	length, err := core.BlockMillis(d)
	if err != nil {
		return fmt.Errorf("pgstore: block %.64q: %w", key, err)
	}
	if s.closed.Load() {
		return errClosed
	}
	if _, err := s.pool.Exec(ctx, s.q.callHold, storedKey(key), s.alg, s.now(), s.async, length); err != nil {
		return opError("block", key, err)
	}
	return nil
}
