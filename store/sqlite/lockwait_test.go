package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
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
// Take, Reset, Charge and Refund under each algorithm return within 1s
// (not after the 5s busy timeout) an error wrapping
// context.DeadlineExceeded, never a denial, while Check, which only reads,
// goes on; once the lock is free, takes work and find that the failed ones
// (the charges included) counted nothing.
func TestLockWaitBoundedByContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	rates := mustRates(t, ratelimit.PerHour(2))
	stores := make([]*sqlitestore.Store, len(algorithms))
	for i, alg := range algorithms {
		stores[i] = openStore(t, path, sqlitestore.WithAlgorithm(alg))
	}
	type call struct {
		name string
		fn   func(context.Context) (ratelimit.Decision, error)
	}
	var blocked []call
	for i, s := range stores {
		blocked = append(blocked,
			call{"Take " + string(algorithms[i]), func(ctx context.Context) (ratelimit.Decision, error) {
				return s.Take(ctx, "k", rates, 1)
			}},
			call{"Reset " + string(algorithms[i]), func(ctx context.Context) (ratelimit.Decision, error) {
				return ratelimit.Decision{}, s.Reset(ctx, "k")
			}},
			call{"Charge " + string(algorithms[i]), func(ctx context.Context) (ratelimit.Decision, error) {
				return s.Charge(ctx, "k", rates, 1)
			}},
			call{"Refund " + string(algorithms[i]), func(ctx context.Context) (ratelimit.Decision, error) {
				return s.Refund(ctx, "k", rates, ratelimit.Decision{Allowed: true, At: time.Now().UnixMilli()}, 1)
			}},
		)
	}

	h := startHolder(t, path, 0)
	var wg sync.WaitGroup
	for _, c := range blocked {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), lockDeadline)
			defer cancel()
			start := time.Now()
			d, err := c.fn(ctx)
			took := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) || d.Allowed {
				t.Errorf("%s under a held lock = %v, %v; want an error wrapping context.DeadlineExceeded", c.name, d, err)
			}
			if took > lockDeadline+lockSlack {
				t.Errorf("%s under a held lock returned after %v, deadline %v", c.name, took, lockDeadline)
			}
		})
	}
	wg.Wait()
	for i, s := range stores {
		ctx, cancel := context.WithTimeout(t.Context(), lockDeadline)
		d, err := s.Check(ctx, "k", rates, 1)
		cancel()
		if err != nil || !d.Allowed || d.Remaining != 1 {
			t.Errorf("%s: Check under a held write lock = %v, %v; want allowed, 1 left", algorithms[i], d, err)
		}
	}
	h.release(t)

	for i, s := range stores {
		for n := range 3 {
			d, err := s.Take(t.Context(), "k", rates, 1)
			if err != nil || d.Allowed != (n < 2) {
				t.Fatalf("%s: take %d after the lock was freed = %v, %v; want the failed one to have counted nothing", algorithms[i], n+1, d, err)
			}
		}
	}
}

// TestLockWaitBusyTimeout checks that without a deadline a take waits for a
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
	s, err := sqlitestore.New(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	h := startHolder(t, path, 0)
	start := time.Now()
	rates := mustRates(t, ratelimit.PerHour(2))
	d, err := s.Take(context.Background(), "k", rates, 1)
	took := time.Since(start)
	h.release(t)
	var serr *sqlite.Error
	if !errors.As(err, &serr) || serr.Code()&0xff != sqlite3.SQLITE_BUSY || d.Allowed {
		t.Fatalf("Take under a held lock = %v, %v; want SQLite's busy error", d, err)
	}
	if took < busy || took > busy+lockSlack {
		t.Fatalf("Take under a held lock failed after %v; want the busy timeout, %v", took, busy)
	}
	if d, err := s.Take(t.Context(), "k", rates, 1); err != nil || !d.Allowed || d.Remaining != 1 {
		t.Fatalf("Take after the lock was freed = %v, %v; want allowed, 1 left", d, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var got int64
	if err := db.QueryRow("PRAGMA busy_timeout").Scan(&got); err != nil || got != busy.Milliseconds() {
		t.Fatalf("busy_timeout after Close = %d, %v; want %d", got, err, busy.Milliseconds())
	}
}

// TestLockWaitEndsWhenFreed checks that a take waiting for a held lock goes
// on soon after the lock is freed, well before its deadline.
func TestLockWaitEndsWhenFreed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "freed.db")
	s := openStore(t, path)
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
	d, err := s.Take(ctx, "k", mustRates(t, ratelimit.PerHour(2)), 1)
	done := time.Now()
	if err != nil || !d.Allowed {
		t.Fatalf("Take = %v, %v; want allowed once the lock is freed", d, err)
	}
	if after := done.Sub(<-freed); after > lockSlack {
		t.Fatalf("Take went on %v after the lock was freed", after)
	}
}

// TestLockWaitCommitBoundedByContext has another process hold a read
// transaction on a database in rollback-journal mode (a caller's, through
// New), where a commit must wait for readers to finish: a Take with a
// deadline of 300ms fails within 1s with an error wrapping
// context.DeadlineExceeded, its transaction rolled back, so that once the
// reader is done the take counted nothing.
func TestLockWaitCommitBoundedByContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(DELETE)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := sqlitestore.New(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	rates := mustRates(t, ratelimit.PerHour(2))
	h := startReader(t, path)
	ctx, cancel := context.WithTimeout(t.Context(), lockDeadline)
	defer cancel()
	start := time.Now()
	d, err := s.Take(ctx, "k", rates, 1)
	took := time.Since(start)
	h.release(t)
	if !errors.Is(err, context.DeadlineExceeded) || d.Allowed {
		t.Fatalf("Take while a reader holds the file = %v, %v; want an error wrapping context.DeadlineExceeded", d, err)
	}
	if took > lockDeadline+lockSlack {
		t.Fatalf("Take while a reader holds the file returned after %v, deadline %v", took, lockDeadline)
	}
	for n := range 3 {
		d, err := s.Take(t.Context(), "k", rates, 1)
		if err != nil || d.Allowed != (n < 2) {
			t.Fatalf("take %d after the reader was done = %v, %v; want the failed one to have counted nothing", n+1, d, err)
		}
	}
}
