package sqlitestore

import (
	"context"
	"database/sql"
	"errors"

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
	if r.BlockState == r.read {
		return nil
	}
	_, err := sess.blockSet.ExecContext(ctx, key, r.Until, r.Level, r.Denials, r.Since, r.Idle)
	return err
}
