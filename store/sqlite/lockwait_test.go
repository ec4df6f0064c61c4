package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// lockDeadline is the deadline of the calls that meet a held lock, and
// lockSlack how much later than it they may return.
const (
	lockDeadline = 300 * time.Millisecond
	lockSlack    = 700 * time.Millisecond
)

// TestLockWaitBoundedByContext has another process hold the file's write
// lock (BEGIN IMMEDIATE) for longer than the callers' deadline of 300ms.
// Acquire under each algorithm, Flush and Leak each return within 1s (not
// after the 5s busy timeout) an error wrapping context.DeadlineExceeded,
// never a denial; once the lock is free, acquires work and find that the
// failed ones counted nothing.
func TestLockWaitBoundedByContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	rates := []ratelimit.Rate{ratelimit.PerHour(2)}
	stores := make([]*sqlitestore.Store, len(algorithms))
	for i, alg := range algorithms {
		stores[i] = openStore(t, path, rates, sqlitestore.WithAlgorithm(alg), sqlitestore.WithSweepInterval(0))
	}
	logStore := stores[0]
	bucket, err := logStore.Bucket(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	type call struct {
		name string
		fn   func(context.Context) (ratelimit.Decision, error)
	}
	var calls []call
	for i, s := range stores {
		calls = append(calls, call{"Acquire " + string(algorithms[i]), func(ctx context.Context) (ratelimit.Decision, error) {
			return s.Acquire(ctx, "k", 1)
		}})
	}
	calls = append(calls,
		call{"Flush", func(ctx context.Context) (ratelimit.Decision, error) { return ratelimit.Decision{}, bucket.Flush(ctx) }},
		call{"Leak", func(ctx context.Context) (ratelimit.Decision, error) {
			_, err := logStore.Leak(ctx, 1<<50)
			return ratelimit.Decision{}, err
		}},
	)

	h := startHolder(t, path, 0)
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), lockDeadline)
			defer cancel()
			start := time.Now()
			d, err := c.fn(ctx)
			took := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) || d.Allowed {
				t.Errorf("%s under a held lock = %+v, %v; want an error wrapping context.DeadlineExceeded", c.name, d, err)
			}
			if took > lockDeadline+lockSlack {
				t.Errorf("%s under a held lock returned after %v, deadline %v", c.name, took, lockDeadline)
			}
		})
	}
	wg.Wait()
	h.release(t)

	for i, s := range stores {
		for n := range 3 {
			d, err := s.Acquire(t.Context(), "k", 1)
			if err != nil || d.Allowed != (n < 2) {
				t.Fatalf("%s: acquire %d after the lock was freed = %+v, %v; want the failed one to have counted nothing", algorithms[i], n+1, d, err)
			}
		}
	}
}

// TestLockWaitBusyTimeout checks that without a deadline a put waits for a
// held lock as long as the connection's busy_timeout says, here 250ms of a
// database the caller opened, and then fails with SQLite's busy error, not
// a denial; Close gives the connection back with its busy_timeout.
func TestLockWaitBusyTimeout(t *testing.T) {
	const busy = 250 * time.Millisecond
	path := filepath.Join(t.TempDir(), "busy.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(250)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the store's connection is the only one
	s, err := sqlitestore.New(db, []ratelimit.Rate{ratelimit.PerHour(2)}, sqlitestore.WithSweepInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	h := startHolder(t, path, 0)
	start := time.Now()
	d, err := s.Acquire(context.Background(), "k", 1)
	took := time.Since(start)
	h.release(t)
	var serr *sqlite.Error
	if !errors.As(err, &serr) || serr.Code()&0xff != sqlite3.SQLITE_BUSY || d.Allowed {
		t.Fatalf("Acquire under a held lock = %+v, %v; want SQLite's busy error", d, err)
	}
	if took < busy || took > busy+lockSlack {
		t.Fatalf("Acquire under a held lock failed after %v; want the busy timeout, %v", took, busy)
	}
	if d, err := s.Acquire(t.Context(), "k", 1); err != nil || !d.Allowed || d.Remaining != 1 {
		t.Fatalf("Acquire after the lock was freed = %+v, %v; want allowed, 1 left", d, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var got int64
	if err := db.QueryRow("PRAGMA busy_timeout").Scan(&got); err != nil || got != busy.Milliseconds() {
		t.Fatalf("busy_timeout after Close = %d, %v; want %d", got, err, busy.Milliseconds())
	}
}

// TestLockWaitEndsWhenFreed checks that a put waiting for a held lock goes
// on soon after the lock is freed, well before its deadline.
func TestLockWaitEndsWhenFreed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "freed.db")
	s := openStore(t, path, []ratelimit.Rate{ratelimit.PerHour(2)}, sqlitestore.WithSweepInterval(0))
	h := startHolder(t, path, 100*time.Millisecond) // frees it a while into the wait
	var wg sync.WaitGroup
	defer wg.Wait()
	freed := make(chan time.Time, 1)
	wg.Go(func() {
		if err := h.released(); err != nil {
			t.Error(err)
		}
		freed <- time.Now()
	})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	d, err := s.Acquire(ctx, "k", 1)
	done := time.Now()
	if err != nil || !d.Allowed {
		t.Fatalf("Acquire = %+v, %v; want allowed once the lock is freed", d, err)
	}
	if after := done.Sub(<-freed); after > lockSlack {
		t.Fatalf("Acquire went on %v after the lock was freed", after)
	}
}

// TestLockWaitCommitBoundedByContext has another process hold a read
// transaction on a database in rollback-journal mode (a caller's, through
// New), where a commit must wait for readers to finish: an Acquire with a
// deadline of 300ms fails within 1s with an error wrapping
// context.DeadlineExceeded, its transaction rolled back, so that once the
// reader is done the acquire counted nothing.
func TestLockWaitCommitBoundedByContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(DELETE)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := sqlitestore.New(db, []ratelimit.Rate{ratelimit.PerHour(2)}, sqlitestore.WithSweepInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	h := startReader(t, path)
	ctx, cancel := context.WithTimeout(t.Context(), lockDeadline)
	defer cancel()
	start := time.Now()
	d, err := s.Acquire(ctx, "k", 1)
	took := time.Since(start)
	h.release(t)
	if !errors.Is(err, context.DeadlineExceeded) || d.Allowed {
		t.Fatalf("Acquire while a reader holds the file = %+v, %v; want an error wrapping context.DeadlineExceeded", d, err)
	}
	if took > lockDeadline+lockSlack {
		t.Fatalf("Acquire while a reader holds the file returned after %v, deadline %v", took, lockDeadline)
	}
	for n := range 3 {
		d, err := s.Acquire(t.Context(), "k", 1)
		if err != nil || d.Allowed != (n < 2) {
			t.Fatalf("acquire %d after the reader was done = %+v, %v; want the failed one to have counted nothing", n+1, d, err)
		}
	}
}
