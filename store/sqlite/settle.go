package sqlitestore

import (
	"context"
	"database/sql"
	"math"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// Refund gives back n units of the take of key that taken reports, under
// rates, as [ratelimit.Settler] says, in one BEGIN IMMEDIATE transaction
// like Take's, so that refunds and takes from every process interleave
// whole: under the log, n of the units stamped at taken.At are deleted,
// fewer if fewer remain; under GCRA and the counter, the key's row is
// changed by [core.State.Refund]. It returns the key's standing after the
// refund, stamped with the store's clock read inside the transaction. A key
// with no rows has nothing to give back. The wait for the lock is bounded
// as Take's; the errors are Take's, and one wrapping
// [ratelimit.ErrInvalidArgument] when n is more than the smallest limit.
func (s *Store) Refund(ctx context.Context, key string, rates ratelimit.Rates, taken ratelimit.Decision, n int64) (d ratelimit.Decision, err error) {
	err = s.settle(ctx, &d, "refund", key, rates, n, taken.At, false)
	return
}

// Charge takes n units under key whatever rates allow, as
// [ratelimit.Settler] says, in one BEGIN IMMEDIATE transaction like Take's:
// under the log they are stored as an admitted take's would be; under GCRA
// and the counter, the key's row is changed by [core.State.Charge]. It
// returns the key's standing after the charge, not allowed while a rate is
// overdrawn. Its errors are Refund's.
func (s *Store) Charge(ctx context.Context, key string, rates ratelimit.Rates, n int64) (d ratelimit.Decision, err error) {
	err = s.settle(ctx, &d, "charge", key, rates, n, 0, true)
	return
}

// settle checks the arguments of a refund of n units taken at at, or of a
// charge of n units (charge set), and runs it under the store's algorithm,
// writing the key's standing after it into d.
func (s *Store) settle(ctx context.Context, d *ratelimit.Decision, op, key string, rates ratelimit.Rates, n, at int64, charge bool) error {
	span, err := checkArgs(s.alg, rates, n)
	if err == nil {
		err = core.ValidateSettle(rates, n)
	}
	if err != nil {
		return opError(op, &key, err)
	}
	if s.alg == algLog {
		err = s.settleLog(ctx, d, op, key, rates, span, n, at, charge)
	} else {
		err = s.settleState(ctx, d, op, key, rates, n, at, charge)
	}
	if err != nil {
		*d = ratelimit.Decision{}
	}
	return err
}

// settleLog is settle under the sliding-window log: in one transaction,
// a write one unless n is 0, change the key's rows, then read them and
// decide a take of 0 units with core.DecideLog. span is the largest
// interval of rates, in milliseconds.
func (s *Store) settleLog(ctx context.Context, d *ratelimit.Decision, op, key string, rates ratelimit.Rates, span, n, at int64, charge bool) error {
	return s.do(ctx, op, &key, func(sess *session) (bool, error) {
		return sess.tx(ctx, n > 0, func(ctx context.Context) error {
			w := &sess.log
			now := s.clock.Now()
			if err := w.load(ctx, rates, key, now); err != nil {
				return err
			}
			var err error
			switch {
			case n == 0:
			case charge:
				if err = w.keep(ctx, key, span); err == nil {
					err = w.insert(ctx, key, w.stamp(now), n, span)
				}
			default:
				err = w.refund(ctx, key, at, n)
			}
			if err == nil && n > 0 {
				err = w.load(ctx, rates, key, now)
			}
			if err != nil {
				return err
			}
			core.DecideLog(d, rates, now, 0, w)
			return w.err
		})
	})
}

// refund removes n units of key's log stamped at at, fewer if fewer
// remain: it deletes the rows at at, stores what is left of them as one
// row, and moves the later rows' running totals down by what it removed.
func (w *window) refund(ctx context.Context, key string, at, n int64) error {
	var lo, hi, expires sql.NullInt64
	if err := w.sess.stamped.QueryRowContext(ctx, key, at).Scan(&lo, &hi, &expires); err != nil || !lo.Valid {
		return err
	}
	held := hi.Int64 - lo.Int64
	removed := min(n, held)
	if _, err := w.sess.unstamp.ExecContext(ctx, key, at); err != nil {
		return err
	}
	if left := held - removed; left > 0 {
		if _, err := w.sess.insert.ExecContext(ctx, key, lo.Int64, at, left, expires.Int64); err != nil {
			return err
		}
	}
	// Two passes (see shift.sql): a running total is never negative
	// otherwise.
	if _, err := w.sess.shift.ExecContext(ctx, removed, key, hi.Int64, int64(math.MaxInt64)); err != nil {
		return err
	}
	_, err := w.sess.shift.ExecContext(ctx, 0, key, int64(math.MinInt64), 0)
	return err
}

// settleState is settle under GCRA or the counter: in one write
// transaction, read key's row, change the state with core.State, decide a
// take of 0 units, and write the row back as a take does.
func (s *Store) settleState(ctx context.Context, d *ratelimit.Decision, op, key string, rates ratelimit.Rates, n, at int64, charge bool) error {
	return s.do(ctx, op, &key, func(sess *session) (bool, error) {
		return sess.tx(ctx, true, func(ctx context.Context) error {
			st := &sess.st
			if err := st.load(ctx, sess.get, key); err != nil {
				return err
			}
			now := s.clock.Now()
			var err error
			if charge {
				err = st.Charge(d, rates, now, n)
			} else {
				err = st.Refund(d, rates, now, at, n)
			}
			if err != nil {
				return err
			}
			return st.save(ctx, sess, key, now)
		})
	})
}
