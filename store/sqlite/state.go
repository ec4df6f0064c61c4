package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// algorithm is the admission algorithm of a Store.
type algorithm uint8

const (
	algLog     algorithm = iota // ratelimit.SlidingWindowLog, one row per put in the table
	algGCRA                     // ratelimit.GCRA, one row per name in table_gcra
	algCounter                  // ratelimit.SlidingWindowCounter, one row per name in table_counter
)

// parseAlgorithm maps a ratelimit.Algorithm onto the store's, checking that
// rates suit it.
func parseAlgorithm(a ratelimit.Algorithm, rates ratelimit.Rates) (algorithm, error) {
	if err := a.Validate(rates); err != nil {
		return algLog, fmt.Errorf("sqlitestore: %w", err)
	}
	return algorithm(a.Ordinal()), nil
}

// tableSuffix names the algorithm's state table after the store's table.
func (a algorithm) tableSuffix() string {
	if a == algCounter {
		return "counter"
	}
	return "gcra"
}

// constState is the state of one name under a constant-state algorithm,
// decoded from its row. A session keeps one and reuses it from put to put.
type constState struct {
	ratelimit.KeyState
	raw []byte // the row's state, as read, and the encoding written
}

func (c *constState) init(alg algorithm, rates int) {
	a := ratelimit.AlgorithmGCRA
	if alg == algCounter {
		a = ratelimit.AlgorithmSlidingWindowCounter
	}
	c.KeyState = ratelimit.NewKeyState(a, rates)
}

// size is the length of the encoded state: big-endian int64s, TAT and Rem
// per rate for GCRA, Start, Prev and Cur per rate for the counter.
func (c *constState) size() int { return 16*len(c.GCRA) + 24*len(c.Counter) }

// decode reads c from an encoded state; a state of the wrong length (a
// store with other rates on the same table) is an error.
func (c *constState) decode(b []byte) error {
	if len(b) != c.size() {
		return fmt.Errorf("state of %d bytes, want %d: does another store with other rates share the table?", len(b), c.size())
	}
	for i := range c.GCRA {
		c.GCRA[i] = ratelimit.GCRAState{TAT: be64(b[16*i:]), Rem: be64(b[16*i+8:])}
	}
	for i := range c.Counter {
		c.Counter[i] = ratelimit.CounterState{Start: be64(b[24*i:]), Prev: be64(b[24*i+8:]), Cur: be64(b[24*i+16:])}
	}
	return nil
}

// encode writes c into c.raw and returns it.
func (c *constState) encode() []byte {
	b := c.raw[:0]
	for _, s := range c.GCRA {
		b = binary.BigEndian.AppendUint64(b, uint64(s.TAT))
		b = binary.BigEndian.AppendUint64(b, uint64(s.Rem))
	}
	for _, s := range c.Counter {
		b = binary.BigEndian.AppendUint64(b, uint64(s.Start))
		b = binary.BigEndian.AppendUint64(b, uint64(s.Prev))
		b = binary.BigEndian.AppendUint64(b, uint64(s.Cur))
	}
	c.raw = b
	return b
}

func be64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }

// load reads key's state into sess.st, or resets it when key has none.
func (sess *session) loadState(ctx context.Context, key string) error {
	st := &sess.st
	err := sess.stateGet.QueryRowContext(ctx, key).Scan(&st.raw)
	if errors.Is(err, sql.ErrNoRows) {
		st.Reset()
		return nil
	}
	if err != nil {
		return err
	}
	return st.decode(st.raw)
}

// putState is put for a constant-state algorithm: in one transaction (a
// write one for a positive weight), read key's row, decide with the core,
// and write the row back only if the put is admitted; a denial changes
// nothing worth keeping (the counter's roll forward is idempotent).
func (s *Store) putState(ctx context.Context, d *ratelimit.Decision, key string, item ratelimit.Item, now bool) error {
	write := item.Weight > 0
	err := s.do(ctx, "put", &key, func(sess *session) (bool, error) {
		return sess.tx(ctx, write, func(ctx context.Context) error {
			if now {
				item.Time = s.clock.Now()
			}
			if err := sess.loadState(ctx, key); err != nil {
				return err
			}
			st := &sess.st
			st.DecideInto(d, s.rates, item.Time, item.Weight)
			if !d.Allowed || item.Weight == 0 {
				return nil
			}
			_, err := sess.stateSet.ExecContext(ctx, key, st.encode(), st.IdleAt(s.rates))
			return err
		})
	})
	if err != nil {
		*d = ratelimit.Decision{}
	}
	return err
}

// waitingState is waiting for a constant-state algorithm: the decision's
// RetryAfter, nothing written.
func (s *Store) waitingState(ctx context.Context, key string, item ratelimit.Item) (time.Duration, error) {
	var wait time.Duration
	err := s.do(ctx, "waiting", &key, func(sess *session) (bool, error) {
		// One statement reads a consistent row: no transaction needed.
		err := sess.loadState(context.WithoutCancel(ctx), key)
		if err == nil {
			var d ratelimit.Decision
			sess.st.DecideInto(&d, s.rates, item.Time, item.Weight)
			wait = d.RetryAfter
		}
		return isBadConn(err), err
	})
	return wait, err
}

// countState is count for a constant-state algorithm: what the largest rate
// still counts at the store's clock.
func (s *Store) countState(ctx context.Context, key string) (int64, error) {
	var n int64
	err := s.do(ctx, "count", &key, func(sess *session) (bool, error) {
		err := sess.loadState(context.WithoutCancel(ctx), key)
		if err == nil {
			n = sess.st.Count(s.rates, s.clock.Now())
		}
		return isBadConn(err), err
	})
	return n, err
}

// leakState is leak for a constant-state algorithm: it deletes, batch by
// batch, the rows of key (of every name when key is nil) that count nothing
// at now, found by their idle_at, and returns 0: a state holds no units to
// report.
func (s *Store) leakState(ctx context.Context, key *string, now int64) (int64, error) {
	for {
		var rows int64
		err := s.do(ctx, "leak", key, func(sess *session) (bool, error) {
			var res sql.Result
			var err error
			if key != nil {
				res, err = sess.stateLeakName.ExecContext(ctx, *key, now)
			} else {
				res, err = sess.stateLeakAll.ExecContext(ctx, now, leakBatch)
			}
			if err == nil {
				rows, err = res.RowsAffected()
			}
			return isBadConn(err), err
		})
		if err != nil || key != nil || rows < leakBatch {
			return 0, err
		}
	}
}

func (s *Store) flushState(ctx context.Context, key string) error {
	return s.do(ctx, "flush", &key, func(sess *session) (bool, error) {
		_, err := sess.stateFlush.ExecContext(ctx, key)
		return isBadConn(err), err
	})
}

// peekState is peek for a constant-state algorithm, which keeps no units.
func (s *Store) peekState(i int64) (ratelimit.Item, bool, error) {
	if s.closed.Load() {
		return ratelimit.Item{}, false, errClosed
	}
	return ratelimit.Item{}, false, fmt.Errorf("sqlitestore: Peek(%d): %w", i, ratelimit.ErrNoHistory)
}
