package sqlitestore_test

import (
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestDefaultPath checks that the default file is one stable file under the
// user's cache directory (under the temporary directory when there is none),
// and that Open and NewLimiter use it for an empty path. HOME, XDG_CACHE_HOME
// and TMPDIR point into the test's own directory.
func TestDefaultPath(t *testing.T) {
	tests := []struct {
		name    string
		noCache bool
	}{
		{"cache dir", false},
		{"temp dir fallback", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("HOME", filepath.Join(dir, "home"))
			t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
			t.Setenv("TMPDIR", filepath.Join(dir, "tmp"))
			if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o700); err != nil {
				t.Fatal(err)
			}
			base, _ := os.UserCacheDir()
			if tt.noCache {
				t.Setenv("HOME", "")
				t.Setenv("XDG_CACHE_HOME", "")
				base = os.TempDir()
			}
			want := filepath.Join(base, "gorate-ratelimit", "ratelimit.db")
			for range 2 {
				if got, err := sqlitestore.DefaultPath(); err != nil || got != want {
					t.Fatalf("DefaultPath() = %q, %v; want %q", got, err, want)
				}
			}
			rates := []ratelimit.Rate{ratelimit.PerHour(3)}
			s := openStore(t, "", rates)
			if _, err := s.Acquire(t.Context(), "k", 1); err != nil {
				t.Fatal(err)
			}
			s.Close()
			l, err := sqlitestore.NewLimiter("", rates)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if _, err := l.Allow(t.Context(), "k"); err != nil {
				t.Fatal(err)
			}
			// Both went to the one default file.
			s = openStore(t, want, rates)
			if d, err := s.Acquire(t.Context(), "k", 1); err != nil || !d.Allowed || d.Remaining != 0 {
				t.Fatalf("third acquire through the default file = %+v, %v; want allowed, 0 left", d, err)
			}
		})
	}
}

// TestNewCallerDB runs a Store on a database the caller opened: Close leaves
// it open, and the rows stay in it.
func TestNewCallerDB(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "caller.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := sqlitestore.New(db, []ratelimit.Rate{ratelimit.PerHour(5)}, sqlitestore.WithTable("limits"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire(t.Context(), "k", 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var units int64
	if err := db.QueryRow(`SELECT sum(weight) FROM "limits" WHERE name = ?`, "k").Scan(&units); err != nil || units != 2 {
		t.Fatalf("caller's db after Close: %d units, %v; want 2 and an open db", units, err)
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	good := []ratelimit.Rate{ratelimit.PerSecond(1)}
	tests := []struct {
		name  string
		rates []ratelimit.Rate
		opts  []sqlitestore.Option
		want  error
	}{
		{"no rates", nil, nil, ratelimit.ErrInvalidRates},
		{"zero limit", []ratelimit.Rate{ratelimit.PerSecond(0)}, nil, ratelimit.ErrInvalidRate},
		{"bad list", []ratelimit.Rate{ratelimit.PerMinute(3), ratelimit.PerDay(1)}, nil, ratelimit.ErrInvalidRates},
		{"nil clock", good, []sqlitestore.Option{sqlitestore.WithClock(nil)}, ratelimit.ErrInvalidArgument},
		{"negative sweep", good, []sqlitestore.Option{sqlitestore.WithSweepInterval(-time.Second)}, ratelimit.ErrInvalidArgument},
		{"bad table", good, []sqlitestore.Option{sqlitestore.WithTable("a;b")}, ratelimit.ErrInvalidArgument},
		{"unknown algorithm", good, []sqlitestore.Option{sqlitestore.WithAlgorithm("leaky-bucket")}, ratelimit.ErrInvalidArgument},
		{"gcra inexact", []ratelimit.Rate{ratelimit.PerSecond(1 << 44)}, []sqlitestore.Option{sqlitestore.WithAlgorithm(ratelimit.AlgorithmGCRA)}, ratelimit.ErrInvalidRates},
		{"counter inexact", []ratelimit.Rate{ratelimit.PerSecond(1 << 44)}, []sqlitestore.Option{sqlitestore.WithAlgorithm(ratelimit.AlgorithmSlidingWindowCounter)}, ratelimit.ErrInvalidRates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sqlitestore.Open(sqlitestore.Memory, tt.rates, tt.opts...); !errors.Is(err, tt.want) {
				t.Fatalf("Open: err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := sqlitestore.New(nil, good); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("New(nil): err = %v, want ErrInvalidArgument", err)
	}
	if _, err := sqlitestore.NewLimiter(sqlitestore.Memory, good, ratelimit.WithBuffer(-1)); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("NewLimiter with a bad option: err = %v, want ErrInvalidArgument", err)
	}
}

// TestClosed checks that every method of the store and of a view fails with
// ErrClosed after Close, and Close stays idempotent.
func TestClosed(t *testing.T) {
	s := openStore(t, sqlitestore.Memory, []ratelimit.Rate{ratelimit.PerSecond(3)})
	ctx := t.Context()
	b, err := s.Bucket(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	calls := map[string]func() error{
		"Acquire": func() error { _, err := s.Acquire(ctx, "k", 1); return err },
		"Bucket":  func() error { _, err := s.Bucket(ctx, "k"); return err },
		"Leak":    func() error { _, err := s.Leak(ctx, 0); return err },
		"Put":     func() error { _, err := b.Put(ctx, ratelimit.Item{Name: "k", Weight: 1}); return err },
		"PutNow":  func() error { _, err := b.PutNow(ctx, "k", 1); return err },
		"Waiting": func() error { _, err := b.Waiting(ctx, ratelimit.Item{Name: "k", Weight: 1}); return err },
		"Count":   func() error { _, err := b.Count(ctx); return err },
		"Peek":    func() error { _, _, err := b.Peek(ctx, 0); return err },
		"Flush":   func() error { return b.Flush(ctx) },
		"BLeak":   func() error { _, err := b.Leak(ctx, 0); return err },
		"Now":     func() error { _, err := b.Now(ctx); return err },
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
			s, err := sqlitestore.Open(tt.path, []ratelimit.Rate{ratelimit.PerSecond(1)})
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
