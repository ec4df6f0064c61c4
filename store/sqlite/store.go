package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/keyview"
)

// Store is a [ratelimit.Factory] over one table of a SQLite database: every
// name's log is a range of rows, one row per admitted put with its weight,
// so a million names cost no Go objects. Processes that open the same file
// share its limits exactly: each put is one BEGIN IMMEDIATE transaction that
// counts every window, decides with [ratelimit.SlidingWindowLog] and stores
// the units under SQLite's write lock, which no other process holds
// meanwhile. A put costs a few index seeks, whatever its windows hold.
// With [WithAlgorithm], a Store keeps instead one row per name holding the
// state of [ratelimit.GCRA] or [ratelimit.SlidingWindowCounter], read,
// judged by the core and rewritten in the same kind of transaction.
//
// A Store runs every statement on one connection of its database, prepared
// once; the connection is handed from goroutine to goroutine, since SQLite
// admits one writer at a time anyway. A background sweeper deletes old rows
// (see [WithSweepInterval]).
//
// Use [Open] or [New]; the zero value is not usable. A Store is safe for
// concurrent use by goroutines and processes. Errors report bad input
// (wrapping [ratelimit.ErrInvalidWeight] or [ratelimit.ErrInvalidArgument])
// and database failures; after Close, methods return an error wrapping
// [ratelimit.ErrClosed].
type Store struct {
	rates       ratelimit.Rates
	view        *keyview.Ops // what a name's Bucket view forwards to
	clock       ratelimit.Clock
	maxInterval int64
	table       string
	alg         algorithm
	q           queries
	db          *sql.DB
	ownDB       bool

	// sem guards sess: a goroutine holds the connection while it holds the
	// one token.
	sem  chan struct{}
	sess *session

	closed    atomic.Bool
	leaker    *ratelimit.Leaker // the sweeper; nil when none runs
	closeOnce sync.Once
	closeErr  error
}

var _ ratelimit.Factory = (*Store)(nil)

// leakBatch is the most rows one leak transaction deletes, so that a leak
// holds the write lock for a millisecond or so at a time.
const leakBatch = 1000

// New returns a Store over db, a database opened with the modernc.org/sqlite
// driver (or another SQLite driver; SQLite 3.35 or later), enforcing rates
// on every name. It creates the table and its indexes if they do not exist
// ([WithTable]; default [DefaultTable]), or the algorithm's state table.
// Options: [WithAlgorithm], [WithTable], [WithClock], [WithSweepInterval].
//
// The Store takes one connection from db for its lifetime and runs all its
// statements on it; give db room for it (a db limited to one connection can
// serve nothing else while the Store is open). A call that finds the
// database locked by another connection waits for it as long as that
// connection's busy_timeout says (5s if it is 0), polling, and never past
// the end of the call's context: SQLite's own wait cannot be cut short, so
// the Store sets the connection's busy_timeout to 0 while it holds the
// connection and puts it back on Close. Close never closes db. For
// durability across processes, db should use WAL mode, as [Open] sets.
//
// The rates are validated as [ratelimit.NewRates] does; a nil db or a bad
// option is an error wrapping [ratelimit.ErrInvalidArgument].
func New(db *sql.DB, rates []ratelimit.Rate, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: sqlitestore: db is nil", ratelimit.ErrInvalidArgument)
	}
	return newStore(db, false, rates, opts)
}

func newStore(db *sql.DB, own bool, rates []ratelimit.Rate, opts []Option) (*Store, error) {
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(rs, opts)
	if err != nil {
		return nil, err
	}
	q, err := newQueries(cfg.table, len(rs), cfg.alg)
	if err != nil {
		return nil, err
	}
	s := &Store{
		rates:       rs,
		clock:       cfg.clock,
		maxInterval: rs.Largest().IntervalMillis(),
		table:       cfg.table,
		alg:         cfg.alg,
		q:           q,
		db:          db,
		ownDB:       own,
		sem:         make(chan struct{}, 1),
	}
	s.view = s.newView()
	if s.sess, err = openSession(context.Background(), db, &s.q, len(rs), s.alg); err != nil {
		return nil, fmt.Errorf("sqlitestore: preparing table %s: %w", quote(cfg.table), err)
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

// Rates returns the rates every name is held to.
func (s *Store) Rates() ratelimit.Rates { return s.rates }

// Acquire puts weight units under name, stamped with the store's clock read
// inside the transaction (under the log, never earlier than the name's
// newest row, so stamps never go back), and reports the decision. A negative weight is an
// error wrapping [ratelimit.ErrInvalidWeight].
func (s *Store) Acquire(ctx context.Context, name string, weight int64) (d ratelimit.Decision, err error) {
	err = s.put(ctx, &d, name, ratelimit.Item{Name: name, Weight: weight}, true)
	return
}

// Bucket returns a view of name's bucket. The view holds no state of its
// own: every call goes to name's rows. Units put through the view are
// stored under name, each row keeping the item's own name for Peek. Closing
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
// rows, each its own short transaction, so puts from every process go on
// between them. It never changes a decision. The sweeper calls it with the
// store's clock.
//
// Under GCRA or the counter ([WithAlgorithm]), Leak deletes instead, in the
// same batches, the rows of the names whose state counts nothing at now
// (every rate back to its full limit), and returns 0.
func (s *Store) Leak(ctx context.Context, now int64) (int64, error) {
	return s.leak(ctx, nil, now)
}

// Now returns the store's clock in Unix milliseconds, the clock PutNow and
// Acquire stamp units with (before the never-go-back rule).
func (s *Store) Now(context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, errClosed
	}
	return s.clock.Now(), nil
}

// Close stops the sweeper and waits for it, waits for the statement in
// progress, and hands the store's connection back to its database, which it
// closes if [Open] opened it (never one passed to [New]). Rows stay in the
// database. It is idempotent: later calls return the first call's error.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.leaker != nil {
			s.leaker.Close()
		}
		s.sem <- struct{}{}
		var errs []error
		if s.sess != nil {
			errs = append(errs, s.sess.close())
			s.sess = nil
		}
		if s.ownDB {
			errs = append(errs, s.db.Close())
		}
		<-s.sem
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// do runs fn with the store's connection, opening a new one first if the
// last was dropped, and again while another connection holds the lock (see
// session.run), so ctx bounds every wait. op names the operation in errors.
func (s *Store) do(ctx context.Context, op string, name *string, fn func(*session) (broken bool, err error)) error {
	if ctx.Err() != nil {
		return opError(op, name, context.Cause(ctx))
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return opError(op, name, context.Cause(ctx))
	}
	defer func() { <-s.sem }()
	if s.closed.Load() {
		return errClosed
	}
	if s.sess == nil {
		sess, err := openSession(ctx, s.db, &s.q, len(s.rates), s.alg)
		if err != nil {
			return opError(op, name, err)
		}
		s.sess = sess
	}
	broken, err := s.sess.run(ctx, fn)
	if broken {
		s.sess.discard()
		s.sess = nil
	}
	if err != nil {
		return opError(op, name, err)
	}
	return nil
}

// sweepFailed reports a failed background leak; the sweeper goes on.
func (s *Store) sweepFailed(_ ratelimit.Leakable, err error) {
	slog.Default().Warn("sqlitestore: sweep failed", "table", s.table, "err", err)
}
