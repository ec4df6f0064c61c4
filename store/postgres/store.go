package pgstore

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is a [ratelimit.Store] over tables of a PostgreSQL database: every
// key's state is a few rows, so a million keys cost no Go objects, and
// every process and host that uses the same table shares its limits
// exactly. It also implements [ratelimit.Checker], [ratelimit.Resetter],
// [ratelimit.Settler], [ratelimit.Blocker] (blocks kept in a table of
// their own, with the same exactness and durability) and [io.Closer].
//
// Use [New]; the zero value is not usable. A Store is safe for concurrent
// use, and by default its concurrent takes share statements and commits
// ([Store.Take], [WithMaxBatch]). Errors report bad input (wrapping
// [ratelimit.ErrInvalidArgument] or [ratelimit.ErrInvalidRate]) and
// database failures; after Close, methods return an error wrapping
// [ratelimit.ErrClosed].
type Store struct {
	pool  *pgxpool.Pool
	table string
	q     queries
	alg   int16 // 0: the log; 1: GCRA; 2: the counter (the state table's alg)
	algo  ratelimit.Algorithm
	clock core.Clock // nil: the server's
	async bool
	batch batcher

	closed    atomic.Bool
	stop      context.CancelFunc // ends the sweeper; nil when none runs
	sweeping  sync.WaitGroup
	closeOnce sync.Once
}

var (
	_ ratelimit.Store            = (*Store)(nil)
	_ ratelimit.Checker          = (*Store)(nil)
	_ ratelimit.Resetter         = (*Store)(nil)
	_ ratelimit.Settler          = (*Store)(nil)
	_ ratelimit.Blocker          = (*Store)(nil)
	_ interface{ Close() error } = (*Store)(nil)
)

// New returns a Store over pool, after creating its tables, indexes and
// functions if they do not exist and replacing the functions with this
// version's. That step runs in one transaction holding an advisory lock on
// a hash of the table's name, so it is idempotent and safe when several
// processes start at once; it keeps every row, and adds the block table
// to tables made by a version before blocks. A table made by an earlier
// version of this package, whose columns differ, is not migrated: New
// fails with an error naming the table and a column it lacks; drop the
// table and its _state and _block companions, or choose another with
// [WithTable].
//
// Options: [WithTable], [WithAlgorithm], [WithClock], [WithSweepInterval],
// [WithAsyncCommit], [WithMaxBatch]. A nil pool or a bad option is an error
// wrapping [ratelimit.ErrInvalidArgument]. Unless the sweep interval is 0,
// New starts a background sweeper, which Close stops. Close never closes
// pool.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: pgstore: pool is nil", ratelimit.ErrInvalidArgument)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	q, err := newQueries(cfg.table)
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, table: cfg.table, q: q, algo: cfg.algorithm, clock: cfg.clock, async: cfg.asyncCommit}
	s.batch.max = cfg.maxBatch
	switch cfg.algorithm {
	case ratelimit.GCRA:
		s.alg = 1
	case ratelimit.SlidingWindowCounter:
		s.alg = 2
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if cfg.sweepInterval > 0 {
		var sweepCtx context.Context
		sweepCtx, s.stop = context.WithCancel(context.Background())
		s.sweeping.Go(func() { s.sweeper(sweepCtx, cfg.sweepInterval) })
	}
	return s, nil
}

// migrate creates or upgrades the schema (see New).
func (s *Store) migrate(ctx context.Context) error {
	table := s.table
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, s.q.migrateLock); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, s.q.schemaCheck, quote(table), quote(table+"_state"), quote(table+"_block"))
		if err != nil {
			return err
		}
		var missing []string
		for rows.Next() {
			var rel, col string
			if err := rows.Scan(&rel, &col); err != nil {
				return err
			}
			missing = append(missing, fmt.Sprintf("%s has no column %s", rel, col))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(missing) > 0 {
			return fmt.Errorf("%s (made by an earlier version of pgstore, or by something else): drop %s, %s and %s, or choose another table with WithTable",
				missing[0], quote(table), quote(table+"_state"), quote(table+"_block"))
		}
		for _, q := range append([]string{s.q.schema, s.q.stateSchema, s.q.blockSchema}, s.q.functions...) {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: migrating table %s: %w", quote(table), err)
	}
	return nil
}

// Take takes n units under key against rates, all or none, in one round
// trip: one call of a PL/pgSQL function that decides with the Store's
// algorithm and stores the units. Under the log it takes a
// transaction-level advisory lock on a hash of the table and the key first;
// under GCRA and the counter it takes it only to write. Takes on different
// keys never wait for each other; takes on one key wait for each other
// (bounded by ctx), so contention never causes a false denial. The log
// reads the clock under the key's lock and, at the server's clock, never
// stamps a take before the key's newest row. The Decision's At is the time
// the take was judged at (under the log, its units' stamp): the server's
// clock in Unix milliseconds, or the [WithClock] clock's reading.
//
// n = 0 consumes nothing and reports the key's standing; a negative n is an
// error wrapping [ratelimit.ErrInvalidArgument]. Empty rates, or rates
// [core.Validate] refuses, are an error wrapping [ratelimit.ErrInvalidRate];
// the call then touches nothing.
//
// By default ([WithMaxBatch] above 1), concurrent takes share statements:
// while the Store has two statements of takes running, further takes
// queue, and the next statement carries the queued takes, up to the
// maximum, to a function that runs each one's take function in one
// transaction, in the order of their keys' lock hashes (and, within a key,
// of their calls); a statement of one take (but under a Block) is that
// take's own call. That statement tries each key's lock and never waits
// for one: it passes over the takes of a key another transaction holds (a
// busy key), which go to statements of that key alone (two at a time, the
// takes that come meanwhile queued for them) that wait for the lock, as a
// take alone would; while such a statement runs or waits, the key's new
// takes join them. So a key held long holds back its own takes, never
// another key's, and no two statements wait for each other in a cycle.
// Each take gets its own Decision, the one it would have got alone; the
// batch shares one round trip and one commit. A take whose ctx ends while
// it is queued returns an error wrapping ctx's and is never applied. One
// whose ctx ends after its batch left the queue returns an error wrapping
// ctx's at once, and is applied if its batch commits. Once the ctx of
// every take in a batch has ended, its statement is canceled: if that is
// before it is sent, none of its takes is applied. If the server rejects a
// batch's statement (an SQL error), nothing of it is applied and each of
// its takes runs again alone, so that only a take that fails alone fails;
// if the connection fails, every take of the batch returns that failure.
// After Close, the takes still queued return an error wrapping
// [ratelimit.ErrClosed], never applied. TakeBlocking's takes join the same
// batches; Check, Reset, Refund, Charge and Block are never batched: each
// is a statement of its own.
func (s *Store) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	if s.batch.max > 1 {
		return s.batched(ctx, key, rates, n, nil)
	}
	var d ratelimit.Decision
	err := s.call(ctx, &d, "take", key, rates, n, 0, nil)
	return d, err
}

// Check returns the Decision Take would return for n units under key
// against rates, and consumes nothing: it writes no row (under the log it
// waits for the key's lock, as Take does, to read a consistent log). Its
// errors are Take's.
func (s *Store) Check(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	var d ratelimit.Decision
	err := s.call(ctx, &d, "check", key, rates, n, 0, nil)
	return d, err
}

// Reset deletes key's rows from the three tables, under the key's lock, in
// one round trip: afterwards key has no history under any rates or
// algorithm, and no block ([Store.TakeBlocking]): it is unblocked.
func (s *Store) Reset(ctx context.Context, key string) error {
	if s.closed.Load() {
		return errClosed
	}
	if _, err := s.pool.Exec(ctx, s.q.callReset, storedKey(key)); err != nil {
		return opError("reset", key, err)
	}
	return nil
}

// Close fails the takes still queued for a batch ([Store.Take]) with an
// error wrapping [ratelimit.ErrClosed], never applied, waits for the
// batches in flight, and stops the sweeper and waits for it. It never
// closes the pool, and rows stay in the database. It is idempotent and
// returns nil.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.batch.mu.Lock() // no take queues after this, nor starts a runner
		s.closed.Store(true)
		s.batch.mu.Unlock()
		s.batch.runners.Wait()
		if s.stop != nil {
			s.stop()
			s.sweeping.Wait()
		}
	})
	return nil
}

// call checks its input and runs the function of the Store's algorithm for
// op, filling d from its result: "take" or "check" of n units, "refund" of
// n units of a take at at, or "charge" of n units; a take under the block
// b when b is not nil.
func (s *Store) call(ctx context.Context, d *ratelimit.Decision, op, key string, rates ratelimit.Rates, n, at int64, b *ratelimit.Block) error {
	intervals, limits, err := s.input(key, rates, n)
	if err != nil {
		return err
	}
	now := s.now()
	var row pgx.Row
	switch {
	case b != nil:
		if err := checkBlock(key, b); err != nil {
			return err
		}
		row = s.blockingRow(ctx, storedKey(key), n, now, intervals, limits, b)
	case op == "take", op == "check":
		row = s.takeRow(ctx, op == "take", storedKey(key), n, now, intervals, limits)
	default:
		if err := core.ValidateSettle(rates, n); err != nil {
			return fmt.Errorf("pgstore: %s %.64q: %w", op, key, err)
		}
		var taken any // NULL: a charge
		if op == "refund" {
			taken = at
		}
		if s.alg == 0 {
			row = s.pool.QueryRow(ctx, s.q.callSettle, storedKey(key), n, now, taken, intervals, limits, s.async)
		} else {
			row = s.pool.QueryRow(ctx, s.q.callSettleState, storedKey(key), s.alg, n, now, taken, intervals, limits, s.async)
		}
	}
	var (
		rate                    int32
		remaining, retry, reset int64
	)
	if b == nil {
		err = row.Scan(&d.Allowed, &rate, &remaining, &retry, &reset, &d.At)
	} else { // a blocked column too
		err = row.Scan(&d.Allowed, &rate, &remaining, &retry, &reset, &d.At, &d.Blocked)
	}
	if err != nil {
		*d = ratelimit.Decision{}
		return opError(op, key, err)
	}
	return fill(d, rates, rate, remaining, retry, reset)
}

// input checks what every take, check and settle checks before its
// statement: the weight, that the Store is open, and the rates; it returns
// the rates' arrays.
func (s *Store) input(key string, rates ratelimit.Rates, n int64) (intervals, limits []int64, err error) {
	if n < 0 {
		return nil, nil, fmt.Errorf("%w: pgstore: weight %d for %.64q is negative", ratelimit.ErrInvalidArgument, n, key)
	}
	if s.closed.Load() {
		return nil, nil, errClosed
	}
	return s.arrays(rates)
}

// takeRow runs one take (or, take false, a check) of n units under the
// stored key k with the take function of the Store's algorithm.
func (s *Store) takeRow(ctx context.Context, take bool, k []byte, n int64, now any, intervals, limits []int64) pgx.Row {
	return s.callRow(ctx, s.q.callTake, s.q.callTakeState, take, k, n, now, intervals, limits)
}

// tryRow is takeRow for a take that never waits for the key's lock: its
// row starts with busy, true when another transaction holds the lock and
// the take was not run.
func (s *Store) tryRow(ctx context.Context, k []byte, n int64, now any, intervals, limits []int64) pgx.Row {
	return s.callRow(ctx, s.q.callTryTake, s.q.callTryTakeState, true, k, n, now, intervals, limits)
}

// callRow runs the call log (under the log) or state (under the other
// algorithms), whose parameters are those of the take functions.
func (s *Store) callRow(ctx context.Context, log, state string, take bool, k []byte, n int64, now any, intervals, limits []int64) pgx.Row {
	if s.alg == 0 {
		return s.pool.QueryRow(ctx, log, k, n, now, intervals, limits, take, s.async)
	}
	return s.pool.QueryRow(ctx, state, k, s.alg, n, now, intervals, limits, take, s.async)
}

// blockingRow runs one take of n units under the stored key k under the
// block b with the blocking function.
func (s *Store) blockingRow(ctx context.Context, k []byte, n int64, now any, intervals, limits []int64, b *ratelimit.Block) pgx.Row {
	p := blockParams(b)
	return s.pool.QueryRow(ctx, s.q.callBlocking, k, s.alg, n, now, intervals, limits, s.async, p[0], p[1], p[2], p[3], p[4])
}

// blockParams returns b's parameters of the blocking function: its For,
// After, Within, Factor and Max (ratelimit.MaxInterval for none), For,
// Within and Max in milliseconds.
func blockParams(b *ratelimit.Block) [5]int64 {
	return [5]int64{ms(b.For), b.After, ms(b.Within), b.Factor, ms(cmp.Or(b.Max, ratelimit.MaxInterval))}
}

// checkBlock checks a take's block as [ratelimit.Block.Validate] does.
func checkBlock(key string, b *ratelimit.Block) error {
	if err := b.Validate(); err != nil {
		return fmt.Errorf("pgstore: take %.64q: %w", key, err)
	}
	return nil
}

// fill sets d's Rate, Remaining, RetryAfter and ResetAfter from a take
// function's result: the index of the decision's rate among rates, the
// remaining units, and the retry-after (-1: never) and reset-after in
// milliseconds. A rate index out of range (another version's function) is
// an error, which zeroes d.
func fill(d *ratelimit.Decision, rates ratelimit.Rates, rate int32, remaining, retry, reset int64) error {
	if rate < 0 || int(rate) >= len(rates) {
		*d = ratelimit.Decision{}
		return errBadRate(rate)
	}
	d.Rate, d.Remaining, d.ResetAfter = rates[rate], remaining, millis(reset)
	d.RetryAfter = millis(retry)
	if retry < 0 {
		d.RetryAfter = ratelimit.Never
	}
	return nil
}

// now returns the time to give a function: the Store's clock's reading,
// or nil (NULL) for the server's clock.
func (s *Store) now() any {
	if s.clock == nil {
		return nil
	}
	return s.clock.Now()
}

// arrays returns the intervals (in milliseconds) and limits of rates, the
// take functions' parameters, after checking what could fail in them.
func (s *Store) arrays(rates ratelimit.Rates) (intervals, limits []int64, err error) {
	if len(rates) == 0 {
		return nil, nil, fmt.Errorf("%w: pgstore: no rates", ratelimit.ErrInvalidRate)
	}
	if err := core.Validate(s.algo, rates); err != nil {
		return nil, nil, fmt.Errorf("pgstore: %w", err)
	}
	buf := make([]int64, 2*len(rates))
	intervals, limits = buf[:len(rates)], buf[len(rates):]
	for i, r := range rates {
		intervals[i], limits[i] = r.IntervalMillis(), r.Limit
	}
	return intervals, limits, nil
}

func millis(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// ms returns d in whole milliseconds.
func ms(d time.Duration) int64 { return int64(d / time.Millisecond) }
