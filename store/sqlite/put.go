package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// put judges item against key's rows into d and stores it if allowed, in one
// transaction: the one place the store applies the algorithm. now stamps the
// item with the store's clock, read under the write lock. (d is an
// out-parameter, as in memorystore, so that no layer copies a Decision.)
func (s *Store) put(ctx context.Context, d *ratelimit.Decision, key string, item ratelimit.Item, now bool) error {
	if item.Weight < 0 {
		return ratelimit.WeightError(item.Name, item.Weight)
	}
	if s.alg != algLog {
		return s.putState(ctx, d, key, item, now)
	}
	// A weight of 0 stores nothing: a read transaction suffices.
	write := item.Weight > 0
	err := s.do(ctx, "put", &key, func(sess *session) (bool, error) {
		return sess.tx(ctx, write, func(ctx context.Context) error {
			log := &sess.log
			if now {
				item.Time = s.clock.Now()
			}
			if err := log.load(ctx, s.rates, key, item.Time); err != nil {
				return err
			}
			if now && log.found && log.newest > item.Time {
				// A process whose clock reads behind the newest stamp (the
				// wall clock stepped back, or another process's clock is
				// ahead): stamp at the newest, so stamps never go back.
				item.Time = log.newest
				if err := log.load(ctx, s.rates, key, item.Time); err != nil {
					return err
				}
			}
			ratelimit.SlidingWindowLog{}.DecideInto(d, s.rates, item, log)
			if log.err != nil {
				return log.err
			}
			if d.Allowed && item.Weight > 0 {
				return log.insert(ctx, key, item)
			}
			return nil
		})
	})
	if err != nil {
		*d = ratelimit.Decision{}
	}
	return err
}

// waiting reports how long until item would fit under key, storing nothing.
func (s *Store) waiting(ctx context.Context, key string, item ratelimit.Item) (time.Duration, error) {
	if item.Weight < 0 {
		return 0, ratelimit.WeightError(item.Name, item.Weight)
	}
	if s.alg != algLog {
		return s.waitingState(ctx, key, item)
	}
	var wait time.Duration
	err := s.do(ctx, "waiting", &key, func(sess *session) (bool, error) {
		return sess.tx(ctx, false, func(ctx context.Context) error {
			log := &sess.log
			if err := log.load(ctx, s.rates, key, item.Time); err != nil {
				return err
			}
			var d ratelimit.Decision
			ratelimit.SlidingWindowLog{}.DecideInto(&d, s.rates, item, log)
			wait = d.RetryAfter
			return log.err
		})
	})
	return wait, err
}

// leak deletes, batch by batch, the rows of key (of every name when key is
// nil) stamped before now minus the largest interval, and returns their
// units.
func (s *Store) leak(ctx context.Context, key *string, now int64) (int64, error) {
	if s.alg != algLog {
		return s.leakState(ctx, key, now)
	}
	bound := now - s.maxInterval
	if bound > now { // now - maxInterval overflowed: nothing is that old
		bound = math.MinInt64
	}
	var units int64
	for {
		var rows, batch int64
		err := s.do(ctx, "leak", key, func(sess *session) (bool, error) {
			rows, batch = 0, 0 // a busy attempt is made again from scratch
			var r *sql.Rows
			var err error
			if key != nil {
				r, err = sess.leakName.QueryContext(ctx, *key, *key, bound, leakBatch)
			} else {
				r, err = sess.leakAll.QueryContext(ctx, bound, leakBatch)
			}
			if err != nil {
				return isBadConn(err), err
			}
			for r.Next() {
				var w int64
				if err := r.Scan(&w); err != nil {
					r.Close()
					return false, err
				}
				batch += w
				rows++
			}
			err = errors.Join(r.Err(), r.Close())
			return isBadConn(err), err
		})
		if err == nil {
			units += batch
		}
		if err != nil || rows < leakBatch {
			return units, err
		}
	}
}

func (s *Store) flush(ctx context.Context, key string) error {
	if s.alg != algLog {
		return s.flushState(ctx, key)
	}
	return s.do(ctx, "flush", &key, func(sess *session) (bool, error) {
		_, err := sess.flush.ExecContext(ctx, key)
		return isBadConn(err), err
	})
}

func (s *Store) count(ctx context.Context, key string) (int64, error) {
	if s.alg != algLog {
		return s.countState(ctx, key)
	}
	var n int64
	err := s.do(ctx, "count", &key, func(sess *session) (bool, error) {
		// A read waits for no lock (in WAL mode): no cancellation needed.
		err := sess.count.QueryRowContext(context.WithoutCancel(ctx), key, key).Scan(&n)
		return isBadConn(err), err
	})
	return n, err
}

func (s *Store) peek(ctx context.Context, key string, i int64) (ratelimit.Item, bool, error) {
	if i < 0 {
		return ratelimit.Item{}, false, ratelimit.IndexError(i)
	}
	if s.alg != algLog {
		return s.peekState(i)
	}
	var it ratelimit.Item
	var ok bool
	err := s.do(ctx, "peek", &key, func(sess *session) (bool, error) {
		err := sess.peek.QueryRowContext(context.WithoutCancel(ctx), key, key, i).Scan(&it.Time, &it.Weight, &it.Name)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		ok = err == nil
		return isBadConn(err), err
	})
	return it, ok, err
}
