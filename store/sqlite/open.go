package sqlitestore

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/gorate/ratelimit"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// Memory is the path [Open] reads as a private in-memory database.
const Memory = ":memory:"

// Open opens (creating it if needed) the SQLite database file at path and
// returns a Store over it; the Store owns the database and closes it on
// Close. Options as for [New].
//
// Each connection is set up for sharing the file between processes: WAL
// journal (readers never wait for the writer), busy_timeout 5s (a call
// waits at most that long for another process's transaction before it
// fails with SQLite's busy error, and never past its context's end) and
// synchronous=NORMAL (a commit survives a crash of the process, not
// necessarily of the machine; the file is never corrupted).
//
// A path Open cannot use is an error naming the path and the cause,
// checked before SQLite opens the file: an empty path, a path that is a
// directory or under a file (wrapping [ratelimit.ErrInvalidArgument]), a
// directory that does not exist (wrapping [fs.ErrNotExist]), or what the
// system says (such as permission denied, wrapping [fs.ErrPermission]).
// Open creates the file if it does not exist, as SQLite would. [Memory]
// (":memory:") opens a private in-memory database: it lives in the Store's
// one connection and is gone when the Store is closed.
func Open(path string, opts ...Option) (*Store, error) {
	if path == "" {
		return nil, &pathError{`""`, "the path is empty", ratelimit.ErrInvalidArgument}
	}
	if path != Memory {
		if err := checkPath(path); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	// Every statement runs on the Store's one connection; for :memory:, a
	// second connection would even be a second, empty database.
	db.SetMaxOpenConns(1)
	s, err := newStore(db, true, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// checkPath finds why path cannot be a database file, if it cannot, before
// SQLite tries: SQLite reports every such failure as "unable to open
// database file" (and modernc.org/sqlite adds "out of memory (14)"). It
// creates the file if it does not exist, as SQLite would (mode 0644 less
// the umask).
func checkPath(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return &pathError{path, "is a directory", ratelimit.ErrInvalidArgument}
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return &pathError{path, "directory " + dir + " does not exist", fs.ErrNotExist}
	} else if err == nil && !fi.IsDir() {
		return &pathError{path, dir + " is not a directory", ratelimit.ErrInvalidArgument}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in the message already
		}
		return &pathError{path, err.Error(), err}
	}
	return f.Close()
}

// dsn is the modernc.org/sqlite data source name for path, with the pragmas
// Open sets as _pragma parameters, which the driver runs on every new
// connection (busy_timeout first, so that the switch to WAL waits for a
// process starting at the same moment).
func dsn(path string) string {
	pragmas := url.Values{"_pragma": {"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)"}}
	if path == Memory {
		return "file::memory:?" + url.Values{"_pragma": {"busy_timeout(5000)"}}.Encode()
	}
	// A file: URI, so that a '?' or '#' in the path is escaped, not parsed.
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas.Encode()
}
