package sqlitestore_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestBlockRestart holds the case across a restart, for every
// algorithm: at 5/min with a 10 min block, the 6th take is blocked with a
// RetryAfter of exactly 10 min; a store opened anew on the file finds the
// key still blocked with the time left, as it finds a key blocked by
// Block; Reset lifts the block at once.
func TestBlockRestart(t *testing.T) {
	rates := mustRates(t, per(5, time.Minute))
	b := ratelimit.Block{For: 10 * time.Minute}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "block.db")
			ctx := t.Context()
			clock := core.NewFakeClock(1_000_000)
			s := openStore(t, path, sqlitestore.WithAlgorithm(alg), sqlitestore.WithClock(clock))
			for i := range 5 {
				if d, err := s.TakeBlocking(ctx, "k", rates, 1, b); err != nil || !d.Allowed {
					t.Fatalf("take %d = %v, %v; want admitted", i+1, d, err)
				}
			}
			d, err := s.TakeBlocking(ctx, "k", rates, 1, b)
			if err != nil || d.Allowed || !d.Blocked || d.RetryAfter != 10*time.Minute {
				t.Fatalf("6th take = %v (blocked %v), %v; want blocked for 10m", d, d.Blocked, err)
			}
			if err := s.Block(ctx, "held", time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			clock.Advance(3 * time.Minute) // the rate's window is over; the block is not
			s = openStore(t, path, sqlitestore.WithAlgorithm(alg), sqlitestore.WithClock(clock))
			d, err = s.TakeBlocking(ctx, "k", rates, 1, b)
			if err != nil || d.Allowed || !d.Blocked || d.RetryAfter != 7*time.Minute {
				t.Fatalf("take after the restart = %v (blocked %v), %v; want blocked for 7m more", d, d.Blocked, err)
			}
			d, err = s.TakeBlocking(ctx, "held", rates, 1, ratelimit.Block{})
			if err != nil || d.Allowed || !d.Blocked || d.RetryAfter != 57*time.Minute {
				t.Fatalf("take of a key held by Block after the restart = %v (blocked %v), %v; want blocked for 57m more", d, d.Blocked, err)
			}
			if err := s.Reset(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if d, err := s.TakeBlocking(ctx, "k", rates, 1, b); err != nil || !d.Allowed || d.Blocked {
				t.Fatalf("take after Reset = %v (blocked %v), %v; want admitted", d, d.Blocked, err)
			}
		})
	}
}

// TestBlockTableAdded opens a store on a database an earlier version made,
// with the store's table and no block table: the store adds it, keeps the
// key's units, and blocks.
func TestBlockTableAdded(t *testing.T) {
	rates := mustRates(t, per(1, time.Minute))
	b := ratelimit.Block{For: time.Hour}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			ctx := t.Context()
			clock := core.NewFakeClock(0)
			s := openStore(t, path, sqlitestore.WithAlgorithm(alg), sqlitestore.WithClock(clock))
			if d, err := s.Take(ctx, "k", rates, 1); err != nil || !d.Allowed {
				t.Fatalf("Take = %v, %v", d, err)
			}
			s.Close()
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var tables int
			if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE '%_block'`).Scan(&tables); err != nil || tables != 1 {
				t.Fatalf("%d block tables, %v; want 1", tables, err)
			}
			if _, err := db.Exec(`DROP TABLE ratelimit` + suffix(alg) + `_block`); err != nil {
				t.Fatal(err)
			}

			s = openStore(t, path, sqlitestore.WithAlgorithm(alg), sqlitestore.WithClock(clock))
			d, err := s.TakeBlocking(ctx, "k", rates, 1, b)
			if err != nil || !d.Blocked || d.RetryAfter != time.Hour {
				t.Fatalf("TakeBlocking on the kept units = %v (blocked %v), %v; want blocked for 1h", d, d.Blocked, err)
			}
		})
	}
}

// suffix is the ending of alg's state table's name after the store's
// table's.
func suffix(alg ratelimit.Algorithm) string {
	switch alg {
	case ratelimit.GCRA:
		return "_gcra"
	case ratelimit.SlidingWindowCounter:
		return "_counter"
	}
	return ""
}

// TestBlockTableOther refuses a block table of the store's name with other
// columns, as it refuses such a table of the store's own.
func TestBlockTableOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE ratelimit_block (key TEXT PRIMARY KEY, value INTEGER)`); err != nil {
		t.Fatal(err)
	}
	s, err := sqlitestore.Open(path)
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("Open over another program's ratelimit_block = %v; want an error wrapping ErrInvalidArgument", err)
	}
}

// TestBlockCrossProcess has 2 processes, started at the same moment, take
// one key 200 times each at 5/min under a block of an hour, for every
// algorithm: together they admit exactly the limit, and every later take
// of either is blocked. A store on the file with a clock moved to the
// block's end admits the key again, and not a millisecond before.
func TestBlockCrossProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	rates := mustRates(t, per(5, time.Minute))
	b := ratelimit.Block{For: time.Hour}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shared.db")
			start := time.Now().UnixMilli()
			children := startChildren(t, 2, path, append(helperJob("5/m", 1, 0, 200, true), helperBlock+"=1h", helperAlg+"="+string(alg))...)
			for _, c := range children {
				c.start(t)
			}
			var all []int64
			takes, blocked := int64(0), int64(0)
			for i, c := range children {
				admitted, done := c.collect()
				if len(done) != 3 {
					t.Fatalf("child %d: done line %v, want takes, time and blocked", i, done)
				}
				all = append(all, admitted...)
				takes += done[0]
				blocked += done[2]
			}
			if len(all) != 5 || blocked != takes-5 {
				t.Fatalf("%d admitted, %d of the other %d takes blocked; want 5 admitted and the rest blocked", len(all), blocked, takes-int64(len(all)))
			}
			// The block began at the first denial, after the 5th admission
			// and before the children ended.
			end := time.Now().UnixMilli()
			clock := core.NewFakeClock(start)
			s := openStore(t, path, sqlitestore.WithAlgorithm(alg), sqlitestore.WithClock(clock))
			clock.Set(slices.Max(all) + time.Hour.Milliseconds() - 1)
			if d, err := s.TakeBlocking(t.Context(), "key-0", rates, 1, b); err != nil || !d.Blocked {
				t.Fatalf("take just before the block can end = %v, %v; want blocked", d, err)
			}
			clock.Set(end + time.Hour.Milliseconds())
			if d, err := s.TakeBlocking(t.Context(), "key-0", rates, 1, b); err != nil || !d.Allowed {
				t.Fatalf("take after the block = %v, %v; want admitted", d, err)
			}
		})
	}
}
