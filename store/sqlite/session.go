package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorate/ratelimit"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// session is a Store's dedicated connection and the statements prepared on
// it. SQLite admits one writer at a time, so a second connection in the
// same process would only wait in SQLite's busy handler; one connection,
// handed from goroutine to goroutine, keeps its statements prepared and
// waits on a channel instead.
type session struct {
	conn *sql.Conn
	q    *queries
	// busy bounds how long a call waits for another connection's lock:
	// the connection's busy_timeout as the session found it, or
	// defaultBusyTimeout if that was 0. The session sets the connection's
	// busy_timeout to 0, waits in Go (see lockWait), and puts restoreBusy
	// back on close (-1: nothing to restore).
	busy        time.Duration
	restoreBusy int64
	// wait paces the retries of the call in progress (see run).
	wait lockWait

	begin, beginRead, commit, rollback *sql.Stmt
	nth, insert, extend, reset, sweep  *sql.Stmt // the algorithm's
	stamped, unstamp, shift            *sql.Stmt // the log's refund
	get, set                           *sql.Stmt // the state table's, for GCRA and the counter
	blockGet, blockSet, blockReset     *sql.Stmt // the block table's
	blockSweep                         *sql.Stmt
	// windows[n] is the log's window query for n rates, prepared on first
	// use.
	windows []*sql.Stmt
	stmts   []*sql.Stmt

	// log is the WindowLog of the take in progress, reused from take to take.
	log window
	// st is the state of the take in progress, likewise.
	st keyState
	// blk is the block state of the take in progress under a block.
	blk blockRow
}

// defaultBusyTimeout bounds how long a take waits for another connection's
// write transaction: Open sets it, and New uses it when the caller's DB left
// busy_timeout at 0.
const defaultBusyTimeout = 5 * time.Second

// openSession takes a connection from db, makes sure the schema exists and
// prepares the statements, retrying while another process holds the lock
// (several processes starting at the same moment).
func openSession(ctx context.Context, db *sql.DB, q *queries, alg algorithm) (*session, error) {
	var sess *session
	err := retryBusy(ctx, 3*defaultBusyTimeout, func() error {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		sess = &session{conn: conn, q: q, restoreBusy: -1}
		if err = sess.setup(ctx, alg); err != nil {
			sess.close()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

func (s *session) setup(ctx context.Context, alg algorithm) error {
	// SQLite's busy handler sleeps through a cancelled context (an
	// interrupt does not end its wait): the session takes over the wait.
	var busy int64
	if err := s.conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		return err
	}
	s.busy = time.Duration(busy) * time.Millisecond
	if busy <= 0 {
		s.busy = defaultBusyTimeout
	}
	if busy != 0 {
		if _, err := s.conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
			return err
		}
		s.restoreBusy = busy
	}
	if err := s.createSchema(ctx); err != nil {
		return err
	}
	type prepared struct {
		dst   **sql.Stmt
		query string
	}
	q := s.q
	stmts := []prepared{
		{&s.begin, "BEGIN IMMEDIATE"}, {&s.beginRead, "BEGIN"}, {&s.commit, "COMMIT"}, {&s.rollback, "ROLLBACK"},
		{&s.reset, q.reset}, {&s.sweep, q.sweep},
		{&s.blockGet, q.blockGet}, {&s.blockSet, q.blockSet}, {&s.blockReset, q.blockReset}, {&s.blockSweep, q.blockSweep},
	}
	if alg == algLog {
		stmts = append(stmts, prepared{&s.nth, q.nth}, prepared{&s.insert, q.insert}, prepared{&s.extend, q.extend},
			prepared{&s.stamped, q.stamped}, prepared{&s.unstamp, q.unstamp}, prepared{&s.shift, q.shift})
	} else {
		stmts = append(stmts, prepared{&s.get, q.get}, prepared{&s.set, q.set})
	}
	for _, p := range stmts {
		st, err := s.prepare(ctx, p.query)
		if err != nil {
			return err
		}
		*p.dst = st
	}
	s.log.sess = s
	s.st.init(alg)
	return nil
}

func (s *session) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := s.conn.PrepareContext(ctx, query)
	if err == nil {
		s.stmts = append(s.stmts, st)
	}
	return st, err
}

// window returns the log's window query for n rates, preparing it on first
// use.
func (s *session) window(ctx context.Context, n int) (*sql.Stmt, error) {
	if n < len(s.windows) && s.windows[n] != nil {
		return s.windows[n], nil
	}
	query, err := s.q.window(n)
	if err != nil {
		return nil, err
	}
	st, err := s.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	if n >= len(s.windows) {
		s.windows = append(s.windows, make([]*sql.Stmt, n+1-len(s.windows))...)
	}
	s.windows[n] = st
	return st, nil
}

// createSchema creates the store's table, its block table and their
// indexes if they do not exist, in one write transaction, so that processes
// starting together never see half a schema. A table of either name with
// other columns (another program's, or one laid out by an earlier version
// of this package) is an error wrapping [ratelimit.ErrInvalidArgument]: the
// store neither reads nor changes it.
func (s *session) createSchema(ctx context.Context) error {
	if _, err := s.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	err := s.checkColumns(ctx, s.q.table, s.q.columns)
	if err == nil {
		err = s.checkColumns(ctx, s.q.blockTable, s.q.blockColumns)
	}
	if err == nil {
		_, err = s.conn.ExecContext(ctx, s.q.schema)
	}
	if err == nil {
		_, err = s.conn.ExecContext(ctx, s.q.blockSchema)
	}
	if err != nil {
		s.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	_, err = s.conn.ExecContext(ctx, "COMMIT")
	return err
}

// checkColumns reports whether table, if it exists, has the columns the
// store keeps in it, want.
func (s *session) checkColumns(ctx context.Context, table string, want []string) error {
	rows, err := s.conn.QueryContext(ctx, s.q.columnsOf, table)
	if err != nil {
		return err
	}
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	if len(cols) > 0 && !slices.Equal(cols, want) {
		return fmt.Errorf("%w: table %s has columns (%s), not this store's (%s): it was made by another program or an earlier version of this package; drop it, or give the store another table (WithTable)",
			ratelimit.ErrInvalidArgument, quote(table), strings.Join(cols, ", "), strings.Join(want, ", "))
	}
	return nil
}

// tx runs fn inside a transaction: BEGIN IMMEDIATE when write is set, so that
// the read, the decision and the write happen under SQLite's write lock
// with no other writer in any process, or a plain BEGIN for a consistent
// read. It reports whether the connection is broken and must be dropped.
// It runs inside run, which begins again when the lock is held elsewhere.
//
// ctx bounds the wait for the lock. Once the transaction holds it, fn and the
// commit run on a context without cancellation: they take microseconds, an
// interrupt half-way through gains nothing, and the driver would start a
// goroutine per statement to watch a cancellable context. A commit that
// finds readers in the way (a database not in WAL mode) is tried again
// under the same bounds, keeping the lock meanwhile; if they run out, the
// transaction is rolled back and stores nothing.
func (s *session) tx(ctx context.Context, write bool, fn func(context.Context) error) (broken bool, err error) {
	begin := s.beginRead
	if write {
		begin = s.begin
	}
	if _, err := begin.ExecContext(ctx); err != nil {
		return isBadConn(err), err
	}
	in := context.WithoutCancel(ctx)
	if err = fn(in); err == nil {
		if err = s.commitWaiting(ctx, in); err == nil {
			return false, nil
		}
	}
	// SQLite rolls a transaction back by itself after some errors; any
	// other leaves it open.
	if _, rerr := s.rollback.ExecContext(in); rerr != nil && !strings.Contains(rerr.Error(), "no transaction is active") {
		return true, errors.Join(err, rerr)
	}
	return isBadConn(err), err
}

// commitWaiting runs COMMIT on in, again while SQLite reports the database
// busy, paced and bounded by s.wait and ctx.
func (s *session) commitWaiting(ctx, in context.Context) error {
	_, err := s.wait.retry(ctx, func() (bool, error) {
		_, err := s.commit.ExecContext(in)
		return false, err
	})
	return err
}

// run runs fn on s, again while it fails with SQLite's busy error (another
// connection holds the lock), pausing between attempts as lockWait says:
// for at most s.busy in all, and never past ctx's end. fn must leave
// nothing behind from a failed attempt.
func (s *session) run(ctx context.Context, fn func(*session) (broken bool, err error)) (broken bool, err error) {
	s.wait = lockWait{budget: s.busy}
	return s.wait.retry(ctx, func() (bool, error) { return fn(s) })
}

// close releases the statements and hands the connection back to its pool.
func (s *session) close() error {
	for _, st := range s.stmts {
		st.Close()
	}
	if s.restoreBusy >= 0 {
		s.conn.ExecContext(context.Background(), "PRAGMA busy_timeout = "+itoa(s.restoreBusy))
	}
	return s.conn.Close()
}

// discard closes the session and makes the pool drop its connection, which
// is in an unknown state.
func (s *session) discard() {
	for _, st := range s.stmts {
		st.Close()
	}
	s.conn.Raw(func(any) error { return driver.ErrBadConn })
	s.conn.Close()
}

// retryBusy runs fn until it returns an error other than SQLITE_BUSY or
// SQLITE_LOCKED, pausing between attempts as lockWait says, for at most
// budget or until ctx is done.
func retryBusy(ctx context.Context, budget time.Duration, fn func() error) error {
	w := lockWait{budget: budget}
	_, err := w.retry(ctx, func() (bool, error) { return false, fn() })
	return err
}

// isBusy reports whether err is SQLite's "database is locked" in any of its
// extended forms.
func isBusy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	code := e.Code() & 0xff
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

func isBadConn(err error) bool {
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
