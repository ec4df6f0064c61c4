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
	// restoreBusy is the busy_timeout to put back on release when the
	// session raised the connection's (a caller's DB without one), or -1.
	restoreBusy int64

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
// write transaction: Open sets it, and New sets it on its connection when
// the caller's DB left it at 0.
const defaultBusyTimeout = 5 * time.Second

// openSession takes a connection from db, makes sure the schema exists and
// prepares the statements, retrying while another process holds the lock
// (several processes starting at the same moment).
func openSession(ctx context.Context, db *sql.DB, q *queries, rates int, alg algorithm) (*session, error) {
	var sess *session
	err := retryBusy(ctx, func() error {
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
	var busy int64
	if err := s.conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		return err
	}
	if busy == 0 {
		if _, err := s.conn.ExecContext(ctx, "PRAGMA busy_timeout = "+itoa(defaultBusyTimeout.Milliseconds())); err != nil {
			return err
		}
		s.restoreBusy = 0
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
//
// ctx bounds the wait for the lock. Once the transaction holds it, fn and the
// commit run on a context without cancellation: they take microseconds, an
// interrupt half-way through gains nothing, and the driver would start a
// goroutine per statement to watch a cancellable context.
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
		if _, err = s.commit.ExecContext(in); err == nil {
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
// SQLITE_LOCKED, backing off between attempts, for at most a few busy
// timeouts or until ctx is done.
func retryBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(3 * defaultBusyTimeout)
	wait := 5 * time.Millisecond
	for {
		err := fn()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, context.Cause(ctx))
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
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
