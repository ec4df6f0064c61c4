package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// Store is a [ratelimit.Store] over one table of a SQLite database. Under
// the default [ratelimit.SlidingWindowLog], every key's log is a range of
// rows, one row per admitted take with its weight, so a million keys cost
// no Go objects; a take costs a few index seeks, whatever its windows hold.
// Under [ratelimit.GCRA] or [ratelimit.SlidingWindowCounter]
// ([WithAlgorithm]), a key is one row holding the rates it was last taken
// under and the algorithm's numbers for each.
//
// Processes that open the same file share its limits exactly: each take
// (and each refund or charge, [Store.Refund]) is one BEGIN IMMEDIATE
// transaction that reads the key's rows, decides with package core and
// writes under SQLite's write lock, which no other connection of any
// process holds meanwhile.
//
// A Store runs every statement on one connection of its database, prepared
// once; the connection is handed from goroutine to goroutine, since SQLite
// admits one writer at a time anyway. A background sweeper deletes, every
// 10 seconds, the rows no rate counts any more.
//
// Use [Open] or [New]; the zero value is not usable. A Store is safe for
// concurrent use by goroutines and processes. Errors report bad input
// (wrapping [ratelimit.ErrInvalidArgument] or [ratelimit.ErrInvalidRate])
// and database failures; after Close, methods return an error wrapping
// [ratelimit.ErrClosed].
type Store struct {
	clock core.Clock
	table string
	alg   algorithm
	q     queries
	db    *sql.DB
	ownDB bool

	// sem guards sess: a goroutine holds the connection while it holds the
	// one token.
	sem  chan struct{}
	sess *session

	closed    atomic.Bool
	stopSweep context.CancelFunc
	swept     chan struct{} // closed when the sweeper has stopped
	closeOnce sync.Once
	closeErr  error
}

var (
	_ ratelimit.Store    = (*Store)(nil)
	_ ratelimit.Checker  = (*Store)(nil)
	_ ratelimit.Resetter = (*Store)(nil)
	_ ratelimit.Settler  = (*Store)(nil)
)

const (
	// sweepEvery is how often the sweeper deletes old rows.
	sweepEvery = 10 * time.Second
	// sweepBatch is the most rows one sweep transaction deletes, so that a
	// sweep holds the write lock for a millisecond or so at a time.
	sweepBatch = 1000
)

// New returns a Store over db, a database opened with the modernc.org/sqlite
// driver. It creates the store's table and its
// indexes if they do not exist ([WithTable]; default [DefaultTable]), or
// the algorithm's state table, and the block table beside it (its name
// plus _block), which it adds to a database an earlier version made. A
// table of either name with other columns (one made by an earlier version
// of this package included) is an error wrapping
// [ratelimit.ErrInvalidArgument]: the Store neither reads nor changes it.
// Options: [WithAlgorithm], [WithTable], [WithClock].
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
// A nil db or a bad option is an error wrapping
// [ratelimit.ErrInvalidArgument].
func New(db *sql.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: sqlitestore: db is nil", ratelimit.ErrInvalidArgument)
	}
	return newStore(db, false, opts)
}

func newStore(db *sql.DB, own bool, opts []Option) (*Store, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	alg := algorithmOf(cfg.algorithm)
	q, err := newQueries(cfg.table, alg)
	if err != nil {
		return nil, err
	}
	s := &Store{
		clock: cfg.clock,
		table: cfg.table,
		alg:   alg,
		q:     q,
		db:    db,
		ownDB: own,
		sem:   make(chan struct{}, 1),
		swept: make(chan struct{}),
	}
	if s.sess, err = openSession(context.Background(), db, &s.q, s.alg); err != nil {
		return nil, fmt.Errorf("sqlitestore: preparing table %s: %w", quote(s.q.table), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSweep = cancel
	go s.sweeper(ctx)
	return s, nil
}

// Take takes n units under key against rates, all or none, in one BEGIN
// IMMEDIATE transaction, and returns the decision, stamped with the store's
// clock read inside the transaction. Under the log the units are stored at
// that stamp, or at the key's newest stamp if the clock reads earlier (a
// wall clock stepped back), so that a key's stamps never go back, and an
// admitted take's At is the stamp they are stored at (what [Store.Refund]
// finds them by); the key's rows are kept for at least the largest
// interval of its last take of n > 0 after their stamp. Under GCRA and the counter, the key's row
// keeps its state with the rates it was kept under, and a take under other
// rates carries it over as [ratelimit.Store] says.
//
// n = 0 stores nothing and reports the key's standing. A negative n is an
// error wrapping [ratelimit.ErrInvalidArgument]; an empty list of rates, a
// list [core.Validate] refuses (a limit below 1, an interval that is not a
// whole number of milliseconds from 1ms to 100 years, intervals not strictly
// increasing, a rate GCRA or the counter cannot compute exactly), one
// wrapping [ratelimit.ErrInvalidRate].
func (s *Store) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (d ratelimit.Decision, err error) {
	// Named results written in place: a Decision is too large to return
	// from a local without a copy.
	err = s.decide(ctx, &d, "take", key, rates, n, true, nil)
	return
}

// Check returns the decision Take would return for n units under key, and
// stores nothing; it reads in a plain (deferred) transaction, which waits
// for no writer in WAL mode. Its errors are Take's.
func (s *Store) Check(ctx context.Context, key string, rates ratelimit.Rates, n int64) (d ratelimit.Decision, err error) {
	err = s.decide(ctx, &d, "check", key, rates, n, false, nil)
	return
}

// Reset forgets key: its rows and its block ([Store.TakeBlocking]) are
// deleted in one write transaction, and its next take starts with no
// history under any rates, unblocked. Resetting a key with no history does
// nothing. The wait for the lock is bounded as Take's.
func (s *Store) Reset(ctx context.Context, key string) error {
	return s.do(ctx, "reset", &key, func(sess *session) (bool, error) {
		return sess.tx(ctx, true, func(ctx context.Context) error {
			if _, err := sess.reset.ExecContext(ctx, key); err != nil {
				return err
			}
			_, err := sess.blockReset.ExecContext(ctx, key)
			return err
		})
	})
}

// Close stops the sweeper and waits for it, waits for the statement in
// progress, and hands the store's connection back to its database, which it
// closes if [Open] opened it (never one passed to [New]). Rows stay in the
// database. It is idempotent: later calls return the first call's error.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.stopSweep()
		<-s.swept
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

// decide checks the arguments of a take or a check and runs it under the
// store's algorithm, and under the block b when it is not nil (a take's).
func (s *Store) decide(ctx context.Context, d *ratelimit.Decision, op string, key string, rates ratelimit.Rates, n int64, take bool, b *ratelimit.Block) error {
	span, err := checkArgs(s.alg, rates, n)
	if err != nil {
		return opError(op, &key, err)
	}
	if s.alg == algLog {
		err = s.decideLog(ctx, d, op, key, rates, span, n, take, b)
	} else {
		err = s.decideState(ctx, d, op, key, rates, n, take, b)
	}
	if err != nil {
		*d = ratelimit.Decision{}
	}
	return err
}

// checkArgs reports what in rates or n could make a take fail in a way
// other than an error, and returns the largest interval of rates in
// milliseconds. rates are otherwise taken as [ratelimit.NewRates] makes
// them.
func checkArgs(alg algorithm, rates ratelimit.Rates, n int64) (int64, error) {
	if n < 0 {
		return 0, fmt.Errorf("%w: n = %d is negative", ratelimit.ErrInvalidArgument, n)
	}
	if len(rates) == 0 {
		return 0, fmt.Errorf("%w: the list is empty", ratelimit.ErrInvalidRate)
	}
	if err := core.Validate(alg.public(), rates); err != nil {
		return 0, err
	}
	return rates.Largest().IntervalMillis(), nil
}

// do runs fn with the store's connection, opening a new one first if the
// last was dropped, and again while another connection holds the lock (see
// session.run), so ctx bounds every wait. op names the operation in errors.
func (s *Store) do(ctx context.Context, op string, key *string, fn func(*session) (broken bool, err error)) error {
	if ctx.Err() != nil {
		return opError(op, key, context.Cause(ctx))
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return opError(op, key, context.Cause(ctx))
	}
	defer func() { <-s.sem }()
	if s.closed.Load() {
		return errClosed
	}
	if s.sess == nil {
		sess, err := openSession(ctx, s.db, &s.q, s.alg)
		if err != nil {
			return opError(op, key, err)
		}
		s.sess = sess
	}
	broken, err := s.sess.run(ctx, fn)
	if broken {
		s.sess.discard()
		s.sess = nil
	}
	if err != nil {
		return opError(op, key, err)
	}
	return nil
}

// sweeper deletes, every sweepEvery until ctx ends, the rows that no rate
// counts any more at the store's clock. A failed sweep is logged, and the
// next one tries again.
func (s *Store) sweeper(ctx context.Context) {
	defer close(s.swept)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.sweep(ctx, s.clock.Now()); err != nil && ctx.Err() == nil {
			slog.Default().Warn("sqlitestore: sweep failed", "table", s.q.table, "err", err)
		}
	}
}

// sweep deletes the rows no rate counts at now, in batches of at most
// sweepBatch rows, each its own short transaction, so that takes from
// every process go on between them: under the log the rows that expired
// before now; under GCRA and the counter the rows of the keys whose state
// counts nothing at now; then the block rows idle at now. Decisions never
// depend on it.
func (s *Store) sweep(ctx context.Context, now int64) error {
	for _, stmt := range []func(*session) *sql.Stmt{
		func(sess *session) *sql.Stmt { return sess.sweep },
		func(sess *session) *sql.Stmt { return sess.blockSweep },
	} {
		for {
			var rows int64
			err := s.do(ctx, "sweep", nil, func(sess *session) (bool, error) {
				res, err := stmt(sess).ExecContext(ctx, now, sweepBatch)
				if err == nil {
					rows, err = res.RowsAffected()
				}
				return isBadConn(err), err
			})
			if err != nil {
				return err
			}
			if rows < sweepBatch {
				break
			}
		}
	}
	return nil
}
