package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/jackc/pgx/v5"
)

// leak deletes, batch by batch, the rows of key (of every name when key is
// nil) stamped before now minus the largest interval, and returns their
// units. A name's batches run under the name's lock, each in its own
// transaction.
func (s *Store) leak(ctx context.Context, key *string, now int64) (int64, error) {
	if s.closed.Load() {
		return 0, errClosed
	}
	if s.alg != algLog {
		return 0, s.leakState(ctx, key, now)
	}
	bound := now - s.maxInterval
	if bound > now { // now - maxInterval overflowed: nothing is that old
		bound = math.MinInt64
	}
	var units int64
	for {
		var rows int64
		scan := func(r pgx.Rows) error {
			for r.Next() {
				var w int64
				if err := r.Scan(&w); err != nil {
					r.Close()
					return err
				}
				units += w
				rows++
			}
			return r.Err()
		}
		var err error
		if key == nil {
			var r pgx.Rows
			if r, err = s.pool.Query(ctx, s.q.leakAll, bound, leakBatch); err == nil {
				err = scan(r)
			}
		} else {
			err = s.locked(ctx, *key, func(tx pgx.Tx, name []byte) error {
				r, err := tx.Query(ctx, s.q.leakName, name, bound, leakBatch)
				if err != nil {
					return err
				}
				return scan(r)
			})
		}
		if err != nil {
			return units, opError("leak", key, err)
		}
		if rows < leakBatch {
			return units, nil
		}
	}
}

// leakState deletes the state of key (of every name when key is nil) that
// counts nothing at now: one statement for a name, batches of at most
// leakBatch rows for every name.
func (s *Store) leakState(ctx context.Context, key *string, now int64) error {
	if key != nil {
		if _, err := s.pool.Exec(ctx, s.q.stateLeakName, storedName(*key), now); err != nil {
			return opError("leak", key, err)
		}
		return nil
	}
	for {
		tag, err := s.pool.Exec(ctx, s.q.stateLeakAll, now, leakBatch)
		if err != nil {
			return opError("leak", nil, err)
		}
		if tag.RowsAffected() < leakBatch {
			return nil
		}
	}
}

// locked runs fn in a transaction holding key's lock, the one the decision
// function takes, and passes it key's stored name.
func (s *Store) locked(ctx context.Context, key string, fn func(tx pgx.Tx, name []byte) error) error {
	name := storedName(key)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, s.q.lock, name); err != nil {
			return err
		}
		return fn(tx, name)
	})
}

func (s *Store) flush(ctx context.Context, key string) error {
	if s.closed.Load() {
		return errClosed
	}
	err := s.locked(ctx, key, func(tx pgx.Tx, name []byte) error {
		q := s.q.flush
		if s.alg != algLog {
			q = s.q.stateFlush
		}
		_, err := tx.Exec(ctx, q, name)
		return err
	})
	if err != nil {
		return opError("flush", &key, err)
	}
	return nil
}

func (s *Store) count(ctx context.Context, key string) (int64, error) {
	if s.closed.Load() {
		return 0, errClosed
	}
	if s.alg != algLog {
		var (
			now   int64
			alg   *int16
			state []int64
		)
		if err := s.pool.QueryRow(ctx, s.q.stateRead, storedName(key)).Scan(&now, &alg, &state); err != nil {
			return 0, opError("count", &key, err)
		}
		return countState(s.alg, s.rates, now, alg, state), nil
	}
	var n int64
	if err := s.pool.QueryRow(ctx, s.q.count, storedName(key)).Scan(&n); err != nil {
		return 0, opError("count", &key, err)
	}
	return n, nil
}

func (s *Store) peek(ctx context.Context, key string, i int64) (ratelimit.Item, bool, error) {
	if i < 0 {
		return ratelimit.Item{}, false, ratelimit.IndexError(i)
	}
	if s.closed.Load() {
		return ratelimit.Item{}, false, errClosed
	}
	if s.alg != algLog {
		return ratelimit.Item{}, false, fmt.Errorf("pgstore: Peek(%d): %w", i, ratelimit.ErrNoHistory)
	}
	var it ratelimit.Item
	var item []byte // NULL (nil): the item's name is key
	err := s.pool.QueryRow(ctx, s.q.peek, storedName(key), i).Scan(&it.Time, &it.Weight, &item)
	if errors.Is(err, pgx.ErrNoRows) {
		return ratelimit.Item{}, false, nil
	}
	if err != nil {
		return ratelimit.Item{}, false, opError("peek", &key, err)
	}
	it.Name = key
	if item != nil {
		it.Name = string(item)
	}
	return it, true, nil
}
