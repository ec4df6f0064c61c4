package sqlitestore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// keyState is the state of one key under GCRA or the counter, decoded from
// its row into buffers of its own. A session keeps one and reuses it from
// take to take.
type keyState struct {
	core.State
	alg     algorithm
	found   bool   // the key has a row
	raw     []byte // the row's state, as read
	enc     []byte // the encoding to write
	rates   ratelimit.Rates
	gcra    []core.GCRAState
	counter []core.CounterState
}

func (c *keyState) init(alg algorithm) {
	c.alg = alg
	c.Algorithm = ratelimit.GCRA
	if alg == algCounter {
		c.Algorithm = ratelimit.SlidingWindowCounter
	}
}

// recordSize is the length of one rate's record in an encoded state:
// big-endian int64s, the rate's limit and interval in milliseconds, then
// TAT and Rem for GCRA, Start, Prev and Cur for the counter.
func (c *keyState) recordSize() int {
	if c.alg == algCounter {
		return 40
	}
	return 32
}

// decode reads c from an encoded state. A state that is not a whole number
// of records of positive rates is damaged: an error.
func (c *keyState) decode(b []byte) error {
	size := c.recordSize()
	if len(b) == 0 || len(b)%size != 0 {
		return fmt.Errorf("damaged state: %d bytes are not a whole number of %d-byte rates", len(b), size)
	}
	n := len(b) / size
	c.rates, c.gcra, c.counter = c.rates[:0], c.gcra[:0], c.counter[:0]
	for i := range n {
		r := b[i*size:]
		rate := ratelimit.Rate{Limit: be64(r), Interval: time.Duration(be64(r[8:])) * time.Millisecond}
		if rate.Limit < 1 || rate.Interval < time.Millisecond {
			return fmt.Errorf("damaged state: rate %d is %v", i, rate)
		}
		c.rates = append(c.rates, rate)
		if c.alg == algCounter {
			c.counter = append(c.counter, core.CounterState{Start: be64(r[16:]), Prev: be64(r[24:]), Cur: be64(r[32:])})
		} else {
			c.gcra = append(c.gcra, core.GCRAState{TAT: be64(r[16:]), Rem: be64(r[24:])})
		}
	}
	c.Rates, c.GCRA, c.Counter = c.rates, nil, nil
	if c.alg == algCounter {
		c.Counter = c.counter
	} else {
		c.GCRA = c.gcra
	}
	return nil
}

// encode writes c's state into c.enc and returns it.
func (c *keyState) encode() []byte {
	b := c.enc[:0]
	for i, r := range c.Rates {
		b = binary.BigEndian.AppendUint64(b, uint64(r.Limit))
		b = binary.BigEndian.AppendUint64(b, uint64(r.IntervalMillis()))
		if c.alg == algCounter {
			s := c.Counter[i]
			b = binary.BigEndian.AppendUint64(b, uint64(s.Start))
			b = binary.BigEndian.AppendUint64(b, uint64(s.Prev))
			b = binary.BigEndian.AppendUint64(b, uint64(s.Cur))
		} else {
			s := c.GCRA[i]
			b = binary.BigEndian.AppendUint64(b, uint64(s.TAT))
			b = binary.BigEndian.AppendUint64(b, uint64(s.Rem))
		}
	}
	c.enc = b
	return b
}

func be64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }

// load reads key's state into c, or makes c a key with no history.
func (c *keyState) load(ctx context.Context, get *sql.Stmt, key string) error {
	err := get.QueryRowContext(ctx, key).Scan(&c.raw)
	c.found = err == nil
	if errors.Is(err, sql.ErrNoRows) {
		c.Rates, c.GCRA, c.Counter = nil, nil, nil
		return nil
	}
	if err != nil {
		return err
	}
	return c.decode(c.raw)
}

// decideState is decide under GCRA or the counter: in one transaction, a
// write one for a take, read key's row, decide with core.State, and write
// the row back if the take changed the state (admitted units, rates carried
// over to new ones, a counter's windows rolled forward). A state that
// counts nothing any more is deleted rather than written: a key with no
// row decides as one whose state counts nothing. Under a block b, the
// key's block state is read too, a blocked key's take is decided as a
// check, and the decision is judged under b.
func (s *Store) decideState(ctx context.Context, d *ratelimit.Decision, op, key string, rates ratelimit.Rates, n int64, take bool, b *ratelimit.Block) error {
	return s.do(ctx, op, &key, func(sess *session) (bool, error) {
		return sess.tx(ctx, take, func(ctx context.Context) error {
			st := &sess.st
			if err := st.load(ctx, sess.get, key); err != nil {
				return err
			}
			now := s.clock.Now()
			take := take
			if b != nil {
				if err := sess.blk.load(ctx, sess, key); err != nil {
					return err
				}
				take = take && !sess.blk.Blocks(now)
			}
			if err := st.Decide(d, rates, now, n, take); err != nil {
				return err
			}
			if take {
				if err := st.save(ctx, sess, key, now); err != nil {
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

// save writes key's state after a change at now, inside the change's
// write transaction: deleted if it counts nothing at now (a key with no
// row decides as one whose state counts nothing), written if it differs
// from the row read.
func (c *keyState) save(ctx context.Context, sess *session, key string, now int64) error {
	var err error
	if idle := c.IdleAt(); idle <= now {
		if c.found {
			_, err = sess.reset.ExecContext(ctx, key)
		}
	} else if enc := c.encode(); !c.found || !bytes.Equal(enc, c.raw) {
		_, err = sess.set.ExecContext(ctx, key, enc, idle)
	}
	return err
}
