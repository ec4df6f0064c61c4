package sqlitestore_test

import (
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestNewCallerDB runs a Store on a database the caller opened: Close leaves
// it open, and the rows stay in it.
func TestNewCallerDB(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "caller.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := sqlitestore.New(db, sqlitestore.WithTable("limits"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Take(t.Context(), "k", mustRates(t, ratelimit.PerHour(5)), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var units int64
	if err := db.QueryRow(`SELECT sum(weight) FROM "limits" WHERE key = ?`, "k").Scan(&units); err != nil || units != 2 {
		t.Fatalf("caller's db after Close: %d units, %v; want 2 and an open db", units, err)
	}
}

// TestOpenRejectsBadInput checks the constructors' errors for bad options
// and arguments, and that nil options and a nil clock mean the defaults.
func TestOpenRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		opts []sqlitestore.Option
		want error
	}{
		{"bad table", []sqlitestore.Option{sqlitestore.WithTable("a;b")}, ratelimit.ErrInvalidArgument},
		{"unknown algorithm", []sqlitestore.Option{sqlitestore.WithAlgorithm("leaky-bucket")}, ratelimit.ErrInvalidArgument},
		{"defaults", []sqlitestore.Option{nil, sqlitestore.WithClock(nil), sqlitestore.WithAlgorithm("")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlitestore.Open(sqlitestore.Memory, tt.opts...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: err = %v, want %v", err, tt.want)
			}
			if err == nil {
				s.Close()
			}
		})
	}
	if _, err := sqlitestore.New(nil); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("New(nil): err = %v, want ErrInvalidArgument", err)
	}
}

// TestBadTakes checks the errors of takes and checks with bad arguments,
// under each algorithm, and that they count nothing.
func TestBadTakes(t *testing.T) {
	good := mustRates(t, ratelimit.PerSecond(3))
	tests := []struct {
		name  string
		rates ratelimit.Rates
		n     int64
		want  error
	}{
		{"negative n", good, -1, ratelimit.ErrInvalidArgument},
		{"no rates", nil, 1, ratelimit.ErrInvalidRate},
		{"zero limit", ratelimit.Rates{per(0, time.Second)}, 1, ratelimit.ErrInvalidRate},
		{"zero interval", ratelimit.Rates{per(1, 0)}, 1, ratelimit.ErrInvalidRate},
		{"sub-millisecond interval", ratelimit.Rates{per(1, 1500*time.Microsecond)}, 1, ratelimit.ErrInvalidRate},
	}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s := openStore(t, sqlitestore.Memory, sqlitestore.WithAlgorithm(alg))
			for _, tt := range tests {
				if _, err := s.Take(t.Context(), "k", tt.rates, tt.n); !errors.Is(err, tt.want) {
					t.Errorf("%s: Take: err = %v, want %v", tt.name, err, tt.want)
				}
				if _, err := s.Check(t.Context(), "k", tt.rates, tt.n); !errors.Is(err, tt.want) {
					t.Errorf("%s: Check: err = %v, want %v", tt.name, err, tt.want)
				}
			}
			inexact := ratelimit.Rates{ratelimit.PerSecond(1 << 44)}
			_, err := s.Take(t.Context(), "other", inexact, 1)
			if exact := alg == ratelimit.SlidingWindowLog; exact != (err == nil) || !exact && !errors.Is(err, ratelimit.ErrInvalidRate) {
				t.Errorf("Take under %v: err = %v; want ErrInvalidRate for GCRA and the counter only", inexact, err)
			}
			if d, err := s.Take(t.Context(), "k", good, 3); err != nil || !d.Allowed {
				t.Fatalf("Take of the whole limit after the bad ones = %v, %v", d, err)
			}
		})
	}
}

// TestClosed checks that every method fails with ErrClosed after Close, and
// Close stays idempotent.
func TestClosed(t *testing.T) {
	s := openStore(t, sqlitestore.Memory)
	rates := mustRates(t, ratelimit.PerSecond(3))
	ctx := t.Context()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	calls := map[string]func() error{
		"Take":  func() error { _, err := s.Take(ctx, "k", rates, 1); return err },
		"Check": func() error { _, err := s.Check(ctx, "k", rates, 1); return err },
		"Reset": func() error { return s.Reset(ctx, "k") },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ratelimit.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", name, err)
		}
	}
}

// TestOpenBadPath checks that Open names the path and the real cause when
// the path cannot be a database file, rather than SQLite's "unable to open
// database file", and creates nothing.
func TestOpenBadPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "read-only")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, msg string
		want            error
		asRoot          bool // the check means something when running as root
	}{
		{"empty", "", `sqlitestore: open "": the path is empty`, ratelimit.ErrInvalidArgument, true},
		{"missing directory", filepath.Join(dir, "missing", "x.db"),
			"sqlitestore: open " + filepath.Join(dir, "missing", "x.db") + ": directory " + filepath.Join(dir, "missing") + " does not exist", fs.ErrNotExist, true},
		{"missing directories", filepath.Join(dir, "a", "b", "x.db"),
			"sqlitestore: open " + filepath.Join(dir, "a", "b", "x.db") + ": directory " + filepath.Join(dir, "a", "b") + " does not exist", fs.ErrNotExist, true},
		{"a directory", dir, "sqlitestore: open " + dir + ": is a directory", ratelimit.ErrInvalidArgument, true},
		{"under a file", filepath.Join(file, "x.db"),
			"sqlitestore: open " + filepath.Join(file, "x.db") + ": " + file + " is not a directory", ratelimit.ErrInvalidArgument, true},
		{"unwritable directory", filepath.Join(readOnly, "x.db"),
			"sqlitestore: open " + filepath.Join(readOnly, "x.db") + ": permission denied", fs.ErrPermission, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.asRoot && os.Geteuid() == 0 {
				t.Skip("root may write anywhere")
			}
			s, err := sqlitestore.Open(tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q): no error", tt.path)
			}
			if err.Error() != tt.msg || !errors.Is(err, tt.want) {
				t.Fatalf("Open(%q): err = %v; want %q, wrapping %v", tt.path, err, tt.msg, tt.want)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 2 {
		t.Fatalf("the directory holds %v, %v; want only what the test made", entries, err)
	}
}

// TestOldTablesRefused opens files whose tables were laid out by an earlier
// version of the package (a log with a name and an item column, state rows
// without their rates) or by another program: Open fails with an error
// wrapping ErrInvalidArgument that names the table and what to do, and
// leaves the table and its rows as they were.
func TestOldTablesRefused(t *testing.T) {
	tests := []struct {
		name, table, schema string
		alg                 ratelimit.Algorithm
	}{
		{"old log", "ratelimit", `CREATE TABLE "ratelimit" (name TEXT NOT NULL, before INTEGER NOT NULL, ts INTEGER NOT NULL,
			weight INTEGER NOT NULL CHECK (weight > 0), item TEXT, PRIMARY KEY (name, before)) WITHOUT ROWID`, ratelimit.SlidingWindowLog},
		{"old gcra", "ratelimit_gcra", `CREATE TABLE "ratelimit_gcra" (name TEXT NOT NULL PRIMARY KEY, state BLOB NOT NULL,
			idle_at INTEGER NOT NULL) WITHOUT ROWID`, ratelimit.GCRA},
		{"old counter", "ratelimit_counter", `CREATE TABLE "ratelimit_counter" (name TEXT NOT NULL PRIMARY KEY, state BLOB NOT NULL,
			idle_at INTEGER NOT NULL) WITHOUT ROWID`, ratelimit.SlidingWindowCounter},
		{"another program's", "ratelimit", `CREATE TABLE "ratelimit" (id INTEGER PRIMARY KEY, note TEXT)`, ratelimit.SlidingWindowLog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(tt.schema); err != nil {
				t.Fatal(err)
			}
			s, err := sqlitestore.Open(path, sqlitestore.WithAlgorithm(tt.alg))
			if err == nil {
				s.Close()
				t.Fatal("Open over an old table: no error")
			}
			if !errors.Is(err, ratelimit.ErrInvalidArgument) || !strings.Contains(err.Error(), `table "`+tt.table+`" has columns (`) ||
				!strings.Contains(err.Error(), "drop it, or give the store another table (WithTable)") {
				t.Fatalf("Open over an old table: err = %v; want ErrInvalidArgument naming the table and what to do", err)
			}
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM pragma_table_info(?)`, tt.table).Scan(&n); err != nil || n == 0 {
				t.Fatalf("the old table after Open: %d columns, %v", n, err)
			}
			// Another table of the same file is the way out.
			s = openStore(t, path, sqlitestore.WithAlgorithm(tt.alg), sqlitestore.WithTable("limits"))
			if d, err := s.Take(t.Context(), "k", mustRates(t, ratelimit.PerHour(1)), 1); err != nil || !d.Allowed {
				t.Fatalf("Take on another table = %v, %v", d, err)
			}
		})
	}
}
