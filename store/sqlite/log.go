package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// decideLog is decide under the sliding-window log: in one transaction, a
// write one for a take of n > 0, read the key's log, decide with
// core.DecideLog and store the units if admitted. Under a block b, the
// key's block state is read too, a blocked key's take is decided as a
// check, and the decision is judged under b. span is the largest interval
// of rates, in milliseconds.
func (s *Store) decideLog(ctx context.Context, d *ratelimit.Decision, op, key string, rates ratelimit.Rates, span, n int64, take bool, b *ratelimit.Block) error {
	write := take && n > 0
	return s.do(ctx, op, &key, func(sess *session) (bool, error) {
		return sess.tx(ctx, write, func(ctx context.Context) error {
			w := &sess.log
			now := s.clock.Now()
			if err := w.load(ctx, rates, key, now); err != nil {
				return err
			}
			write := write
			if b != nil {
				if err := sess.blk.load(ctx, sess, key); err != nil {
					return err
				}
				write = write && !sess.blk.Blocks(now)
			}
			if write {
				if err := w.keep(ctx, key, span); err != nil {
					return err
				}
			}
			core.DecideLog(d, rates, now, n, w)
			if w.err != nil {
				return w.err
			}
			if write && d.Allowed {
				d.At = w.stamp(now)
				if err := w.insert(ctx, key, d.At, n, span); err != nil {
					return err
				}
			}
			if b != nil {
				return sess.blk.judge(ctx, sess, d, *b, key, now, n)
			}
			return nil
		})
	})
}

// window is a [core.WindowLog] over one key's rows, read inside the take's
// transaction: load fetches every rate's count in one statement, and
// NthNewest queries only for what a denial asks.
type window struct {
	sess *session
	ctx  context.Context
	key  string

	found   bool  // the key has rows
	newest  int64 // the newest row's timestamp
	total   int64 // the running total after the newest row
	expires int64 // the newest row's expiry
	since   []int64
	counts  []int64
	err     error // the first error of a NthNewest query

	args   []any // load's parameters and scan targets, made once per number of rates
	dest   []any
	before []sql.NullInt64
}

var _ core.WindowLog = (*window)(nil)

// size makes w's buffers fit rates rates, growing them only when they are
// too small, so that limiters with different lists sharing a store cost no
// allocation from take to take.
func (w *window) size(rates int) {
	if cap(w.before) < rates {
		w.before = make([]sql.NullInt64, rates)
		w.since = make([]int64, rates)
		w.counts = make([]int64, rates)
		w.args = make([]any, rates+1)
		w.dest = []any{&w.newest, &w.total, &w.expires}
		for i := range w.before {
			w.dest = append(w.dest, &w.before[i])
		}
	}
	w.before, w.since, w.counts = w.before[:rates], w.since[:rates], w.counts[:rates]
	w.args, w.dest = w.args[:rates+1], w.dest[:rates+3]
}

// load reads key's log for a decision at now.
func (w *window) load(ctx context.Context, rates ratelimit.Rates, key string, now int64) error {
	stmt, err := w.sess.window(ctx, len(rates))
	if err != nil {
		return err
	}
	w.size(len(rates))
	w.ctx, w.key, w.err = ctx, key, nil
	for i, r := range rates {
		w.since[i] = now - r.IntervalMillis()
		w.args[i] = w.since[i]
	}
	w.args[len(rates)] = key
	err = stmt.QueryRowContext(ctx, w.args...).Scan(w.dest...)
	w.found = err == nil
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	for i, b := range w.before {
		w.counts[i] = 0
		if w.found && b.Valid {
			w.counts[i] = w.total - b.Int64
		}
	}
	return err
}

// CountSince returns the units of the rate's window, as load counted them.
func (w *window) CountSince(rate int, since int64) int64 {
	if since != w.since[rate] && w.err == nil {
		w.err = fmt.Errorf("window of rate %d asked from %d, loaded from %d", rate, since, w.since[rate])
	}
	return w.counts[rate]
}

// NthNewest returns the timestamp of the k-th newest unit: the newest from
// load, any other with one primary-key seek.
func (w *window) NthNewest(k int64) (int64, bool) {
	switch {
	case !w.found || k < 0 || k >= w.total || w.err != nil:
		return 0, false
	case k == 0:
		return w.newest, true
	}
	var ts int64
	err := w.sess.nth.QueryRowContext(w.ctx, w.key, w.total-1-k).Scan(&ts)
	if err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			w.err = err
		}
		return 0, false
	}
	return ts, true
}

// keep makes the key's rows, after load, count for at least span
// milliseconds after their stamps, when they were kept for less: the
// largest interval of a take that writes.
func (w *window) keep(ctx context.Context, key string, span int64) error {
	if !w.found || w.expires >= w.newest+span {
		return nil
	}
	if _, err := w.sess.extend.ExecContext(ctx, span, key, span); err != nil {
		return err
	}
	w.expires = max(w.expires, w.newest+span)
	return nil
}

// stamp returns the stamp of units stored at now after load: now, or the
// newest row's stamp if now is earlier, so that a key's stamps never go
// back.
func (w *window) stamp(now int64) int64 {
	if w.found {
		return max(now, w.newest)
	}
	return now
}

// insert stores n units under key after load, stamped at ts (see stamp)
// after the newest row, and kept for span milliseconds after it, or as long
// as the newest row.
func (w *window) insert(ctx context.Context, key string, ts, n, span int64) error {
	var before, expires int64 = 0, ts + span
	if w.found {
		before, expires = w.total, max(ts+span, w.expires)
	}
	_, err := w.sess.insert.ExecContext(ctx, key, before, ts, n, expires)
	return err
}
