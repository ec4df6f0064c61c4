package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"
	"time"

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
	// busy bounds how long a call waits for another connection's lock:
	// the connection's busy_timeout as the session found it, or
	// defaultBusyTimeout if that was 0. The session sets the connection's
	// busy_timeout to 0, waits in Go (see lockWait), and puts restoreBusy
	// back on close (-1: nothing to restore).
	busy        time.Duration
	restoreBusy int64
	// wait paces the retries of the call in progress (see run).
	wait lockWait

	begin, beginRead, commit, rollback                 *sql.Stmt
	window, nth, insert, position, shiftOut, shiftBack *sql.Stmt
	count, peek, flush, leakName, leakAll              *sql.Stmt
	// The state table's, for a constant-state algorithm (nil for the log).
	stateGet, stateSet, stateFlush, stateLeakName, stateLeakAll *sql.Stmt
	stmts                                                       []*sql.Stmt

	// log is the WindowLog of the put in progress, reused from put to put.
	log window
	// st is the constant state of the put in progress, likewise.
	st constState
}

// defaultBusyTimeout bounds how long a put waits for another connection's
// write transaction: Open sets it, and New uses it when the caller's DB left
// busy_timeout at 0.
const defaultBusyTimeout = 5 * time.Second

// openSession takes a connection from db, makes sure the schema exists and
// prepares the statements, retrying while another process holds the lock
// (several processes starting at the same moment).
func openSession(ctx context.Context, db *sql.DB, q *queries, rates int, alg algorithm) (*session, error) {
	var sess *session
	err := retryBusy(ctx, 3*defaultBusyTimeout, func() error {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		sess = &session{conn: conn, restoreBusy: -1}
		if err = sess.setup(ctx, q, rates, alg); err != nil {
			sess.close()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

func (s *session) setup(ctx context.Context, q *queries, rates int, alg algorithm) error {
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
	type prepared struct {
		dst   **sql.Stmt
		query string
	}
	stmts := []prepared{{&s.begin, "BEGIN IMMEDIATE"}, {&s.beginRead, "BEGIN"}, {&s.commit, "COMMIT"}, {&s.rollback, "ROLLBACK"}}
	schema := q.schema
	if alg == algLog {
		stmts = append(stmts,
			prepared{&s.window, q.window}, prepared{&s.nth, q.nth}, prepared{&s.insert, q.insert}, prepared{&s.position, q.position},
			prepared{&s.shiftOut, q.shiftOut}, prepared{&s.shiftBack, q.shiftBack}, prepared{&s.count, q.count}, prepared{&s.peek, q.peek},
			prepared{&s.flush, q.flush}, prepared{&s.leakName, q.leakName}, prepared{&s.leakAll, q.leakAll})
	} else {
		// A constant-state store keeps no log: it creates and prepares
		// only its state table's.
		schema = q.stateSchema
		stmts = append(stmts,
			prepared{&s.stateGet, q.stateGet}, prepared{&s.stateSet, q.stateSet}, prepared{&s.stateFlush, q.stateFlush},
			prepared{&s.stateLeakName, q.stateLeakName}, prepared{&s.stateLeakAll, q.stateLeakAll})
	}
	if err := s.createSchema(ctx, schema); err != nil {
		return err
	}
	for _, p := range stmts {
		st, err := s.conn.PrepareContext(ctx, p.query)
		if err != nil {
			return err
		}
		*p.dst = st
		s.stmts = append(s.stmts, st)
	}
	s.log.init(s, rates)
	s.st.init(alg, rates)
	return nil
}

// createSchema creates the table and indexes if they do not exist, in one
// write transaction, so that processes starting together never see half a
// schema.
func (s *session) createSchema(ctx context.Context, schema string) error {
	if _, err := s.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if _, err := s.conn.ExecContext(ctx, schema); err != nil {
		s.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	_, err := s.conn.ExecContext(ctx, "COMMIT")
	return err
}

// tx runs fn inside a transaction: BEGIN IMMEDIATE when write is set, so that
// the count, the decision and the insert happen under SQLite's write lock
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
