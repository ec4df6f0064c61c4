package pgstore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/keyview"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is a [ratelimit.Factory] over one table of a PostgreSQL database:
// every name's log is a range of rows, one row per admitted put with its
// weight, so a million names cost no Go objects. Every process and host
// that uses the same table shares its limits exactly.
//
// A put is one round trip: one call of a PL/pgSQL function (installed by
// [Store.Migrate]) that takes a transaction-level advisory lock on a hash of
// the table and the name, reads the server's clock, counts every window
// with index seeks, decides with the rules of [ratelimit.SlidingWindowLog]
// and stores the units. Puts on different names never wait for each other;
// puts on one name wait for each other (bounded by the caller's context),
// so contention never causes a false denial.
//
// Under [WithAlgorithm] GCRA or the sliding-window counter, a name is one
// row of a few numbers per rate instead, in the state table; the call is
// one round trip all the same.
//
// Use [New], then [Store.Migrate] once per table (or [NewLimiter], which
// does both); the zero value is not usable. A Store is safe for concurrent
// use. Errors report bad input (wrapping [ratelimit.ErrInvalidWeight] or
// [ratelimit.ErrInvalidArgument]) and database failures; after Close,
// methods return an error wrapping [ratelimit.ErrClosed].
type Store struct {
	rates       ratelimit.Rates
	view        *keyview.Ops // what a name's Bucket view forwards to
	intervals   []int64
	limits      []int64
	maxInterval int64
	table       string
	async       bool
	alg         algorithm
	q           queries
	pool        *pgxpool.Pool

	closed    atomic.Bool
	leaker    *ratelimit.Leaker // the sweeper; nil when none runs
	closeOnce sync.Once
}

var _ ratelimit.Factory = (*Store)(nil)

// leakBatch is the most rows one leak statement deletes, so that a leak
// holds its row locks for a millisecond or so at a time.
const leakBatch = 1000

// New returns a Store over pool enforcing rates on every name. It does not
// touch the database: call [Store.Migrate] before the first put. Options:
// [WithTable], [WithSweepInterval], [WithAsyncCommit], [WithAlgorithm].
//
// The rates are validated as [ratelimit.NewRates] does; a nil pool or a bad
// option is an error wrapping [ratelimit.ErrInvalidArgument]. Close never
// closes pool.
func New(pool *pgxpool.Pool, rates []ratelimit.Rate, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: pgstore: pool is nil", ratelimit.ErrInvalidArgument)
	}
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(rs, opts)
	if err != nil {
		return nil, err
	}
	alg, err := parseAlgorithm(cfg.algorithm, rs)
	if err != nil {
		return nil, err
	}
	q, err := newQueries(cfg.table)
	if err != nil {
		return nil, err
	}
	s := &Store{
		rates:       rs,
		maxInterval: rs.Largest().IntervalMillis(),
		table:       cfg.table,
		async:       cfg.asyncCommit,
		alg:         alg,
		q:           q,
		pool:        pool,
	}
	s.view = s.newView()
	for _, r := range rs {
		s.intervals = append(s.intervals, r.IntervalMillis())
		s.limits = append(s.limits, r.Limit)
	}
	if cfg.sweepInterval > 0 {
		// The sweeper is a core Leaker over the whole store: every interval
		// it reads the store's clock and leaks every name at once.
		if s.leaker, err = ratelimit.NewLeaker(cfg.sweepInterval, s.sweepFailed); err == nil {
			err = s.leaker.Register(s)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Migrate creates the Store's tables, their indexes and the decision
// functions if they do not exist, and replaces the functions with this
// version's. The tables are the log's (named by [WithTable]) and, beside it
// whatever the algorithm, the state table of GCRA and the sliding-window
// counter (the same name with the suffix _state). It is idempotent and safe
// when several processes run it at once: it runs in one transaction that
// first takes an advisory lock on a hash of the table's name.
func (s *Store) Migrate(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{s.q.migrateLock, s.q.schema, s.q.acquire, s.q.stateSchema, s.q.decide} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: migrating table %s: %w", quote(s.table), err)
	}
	return nil
}

// Drop removes the Store's tables, with every row, their indexes and the
// decision functions; [Store.Migrate] creates them again. It is meant for
// tests and uninstalling. Stores on the same table in other processes fail
// until then.
func (s *Store) Drop(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{s.q.migrateLock, s.q.drop} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: dropping table %s: %w", quote(s.table), err)
	}
	return nil
}

// Rates returns the rates every name is held to.
func (s *Store) Rates() ratelimit.Rates { return s.rates }

// Table returns the name of the Store's table.
func (s *Store) Table() string { return s.table }

// Acquire puts weight units under name, stamped with the server's clock
// read inside the call (under the log, never earlier than the name's newest
// row, so stamps never go back), and reports the decision. A negative weight is an error
// wrapping [ratelimit.ErrInvalidWeight].
func (s *Store) Acquire(ctx context.Context, name string, weight int64) (d ratelimit.Decision, err error) {
	err = s.put(ctx, &d, name, ratelimit.Item{Name: name, Weight: weight}, true)
	return
}

// Bucket returns a view of name's bucket. The view holds no state of its
// own: every call goes to name's rows. Units put through the view are
// stored under name, each row of the log keeping the item's own name for
// Peek. Closing
// the view does nothing; close the Store.
func (s *Store) Bucket(_ context.Context, name string) (ratelimit.Bucket, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	return keyview.New(s.view, name), nil
}

// Leak deletes the rows of every name stamped before now minus the largest
// interval (a row at exactly that bound still counts and is kept), and
// returns how many units it removed. It deletes in batches of at most 1000
// rows, each its own short statement that skips rows other transactions
// hold, so puts go on between them. The sweeper calls it with the server's
// clock.
//
// Under GCRA or the sliding-window counter it deletes, in the same
// batches, the state of every name that counts nothing at now (the core's
// Idle; the time a state becomes idle is kept rounded up to a whole second,
// so a state may stay up to a second longer), found by an index on that
// time, and returns 0: such state holds no units.
func (s *Store) Leak(ctx context.Context, now int64) (int64, error) {
	return s.leak(ctx, nil, now)
}

// Now returns the server's clock in Unix milliseconds, the clock PutNow and
// Acquire stamp units with.
func (s *Store) Now(ctx context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, errClosed
	}
	var now int64
	if err := s.pool.QueryRow(ctx, s.q.now).Scan(&now); err != nil {
		return 0, opError("now", nil, err)
	}
	return now, nil
}

// Close stops the sweeper and waits for it. It never closes the pool, and
// rows stay in the database. It is idempotent and returns nil.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.leaker != nil {
			s.leaker.Close()
		}
	})
	return nil
}

// sweepFailed reports a failed background leak; the sweeper goes on.
func (s *Store) sweepFailed(_ ratelimit.Leakable, err error) {
	slog.Default().Warn("pgstore: sweep failed", "table", s.table, "err", err)
}
