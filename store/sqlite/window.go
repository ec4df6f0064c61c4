package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// window is a [ratelimit.WindowLog] over one name's rows, read inside the
// put's transaction: load fetches every rate's count in one statement, and
// NthNewest queries only for what a denial asks.
type window struct {
	sess *session
	ctx  context.Context
	key  string

	found  bool  // the name has rows
	newest int64 // the newest row's timestamp
	total  int64 // the running total after the newest row
	since  []int64
	counts []int64
	err    error // the first error of a NthNewest query

	args   []any // load's parameters and scan targets, made once
	dest   []any
	before []sql.NullInt64
}

var _ ratelimit.WindowLog = (*window)(nil)

func (w *window) init(sess *session, rates int) {
	w.sess = sess
	w.since = make([]int64, rates)
	w.counts = make([]int64, rates)
	w.args = make([]any, rates+1)
	w.before = make([]sql.NullInt64, rates)
	w.dest = []any{&w.newest, &w.total}
	for i := range w.before {
		w.dest = append(w.dest, &w.before[i])
	}
}

// load reads key's log for a put at ts.
func (w *window) load(ctx context.Context, rates ratelimit.Rates, key string, ts int64) error {
	w.ctx, w.key, w.err = ctx, key, nil
	for i, r := range rates {
		w.since[i] = ts - r.IntervalMillis()
		w.args[i] = w.since[i]
	}
	w.args[len(rates)] = key
	err := w.sess.window.QueryRowContext(ctx, w.args...).Scan(w.dest...)
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
		w.err = fmt.Errorf("sqlitestore: window of rate %d asked from %d, loaded from %d", rate, since, w.since[rate])
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

// insert stores item's units under key after load: appended after the
// newest row, or, for an item stamped earlier (a Put with an explicit time),
// slid into place with the later rows' running totals moved up.
func (w *window) insert(ctx context.Context, key string, item ratelimit.Item) error {
	var name any // NULL: the item's name is the key
	if item.Name != key {
		name = item.Name
	}
	var before int64
	if w.found {
		before = w.total
		if item.Time < w.newest {
			if err := w.sess.position.QueryRowContext(ctx, key, item.Time).Scan(&before); err != nil {
				return err
			}
			if _, err := w.sess.shiftOut.ExecContext(ctx, item.Weight, key, before); err != nil {
				return err
			}
			if _, err := w.sess.shiftBack.ExecContext(ctx, key); err != nil {
				return err
			}
		}
	}
	_, err := w.sess.insert.ExecContext(ctx, key, before, item.Time, item.Weight, name)
	return err
}
