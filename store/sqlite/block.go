package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

var _ ratelimit.Blocker = (*Store)(nil)

// TakeBlocking is Take under the block b, as [ratelimit.Blocker] says, in
// the take's one BEGIN IMMEDIATE transaction (a plain one for n = 0), so
// that blocks are shared by every process that opens the file: it reads
// the key's block state, judges the take as a check (storing nothing) while
// the key is blocked and as a take otherwise, and writes the state back
// when the decision changed it ([core.BlockState.Judge]). The state is kept
// in a table of its own, the store's table's name plus _block, one row per
// key, until its block is over and would not escalate the next one; the
// sweeper deletes it from then on, and Reset deletes it with the key's
// units. The errors are Take's, and one wrapping
// [ratelimit.ErrInvalidArgument] for a b that [ratelimit.Block.Validate]
// refuses.
func (s *Store) TakeBlocking(ctx context.Context, key string, rates ratelimit.Rates, n int64, b ratelimit.Block) (d ratelimit.Decision, err error) {
	if err = b.Validate(); err != nil {
		return d, opError("take", &key, err)
	}
	err = s.decide(ctx, &d, "take", key, rates, n, true, &b)
	return
}

// blockRow is a key's row of the block table, read inside a take's
// transaction. A session keeps one and reuses it from take to take.
type blockRow struct {
	core.BlockState
	read core.BlockState // as read: the zero value when the key had no row
}

// load reads key's block state, or makes r a key never blocked.
func (r *blockRow) load(ctx context.Context, sess *session, key string) error {
	err := sess.blockGet.QueryRowContext(ctx, key).Scan(&r.Until, &r.Level, &r.Denials, &r.Since, &r.Idle)
	if errors.Is(err, sql.ErrNoRows) {
		r.BlockState, err = core.BlockState{}, nil
	}
	r.read = r.BlockState
	return err
}

// judge finishes d, the decision on a take of n units of key at now, under
// b (see core.BlockState.Judge), and writes the state back if it changed,
// inside the take's transaction. A changed state always counts something
// after now, so it is never deleted here: the sweeper does that.
func (r *blockRow) judge(ctx context.Context, sess *session, d *ratelimit.Decision, b ratelimit.Block, key string, now, n int64) error {
	r.Judge(d, b, now, n)
	return r.save(ctx, sess, key)
}

// save writes r back as key's row if it changed since load.
func (r *blockRow) save(ctx context.Context, sess *session, key string) error {
	if r.BlockState == r.read {
		return nil
	}
	_, err := sess.blockSet.ExecContext(ctx, key, r.Until, r.Level, r.Denials, r.Since, r.Idle)
	return err
}

// Block blocks key for d from the store's clock, as [ratelimit.Blocker]
// says, in one BEGIN IMMEDIATE transaction, so that every process that
// opens the file sees the block: it reads the key's block row, moves it on
// with [core.BlockState.Hold] and writes it back. The row is kept and
// deleted as TakeBlocking's are. The errors are Take's, and one wrapping
// [ratelimit.ErrInvalidArgument] for a d that is not a whole number of
// milliseconds from 1ms to [ratelimit.MaxInterval].
func (s *Store) Block(ctx context.Context, key string, d time.Duration) error {
	ms, err := core.BlockMillis(d)
	if err != nil {
		return opError("block", &key, err)
	}
	return s.do(ctx, "block", &key, func(sess *session) (bool, error) {
		return sess.tx(ctx, true, func(ctx context.Context) error {
			r := &sess.blk
			if err := r.load(ctx, sess, key); err != nil {
				return err
			}
			r.Hold(s.clock.Now(), ms)
			return r.save(ctx, sess, key)
		})
	})
}
