package sqlitestore

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOpenPragmas checks that the _pragma parameters of Open's data source
// name take effect on the store's connection, busy_timeout as the bound of
// the session's own lock waits.
func TestOpenPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd ?#%name.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The session waits for locks itself, for as long as busy_timeout
	// said, and sets the connection's to 0 while it holds it.
	if s.sess.busy != 5*time.Second {
		t.Errorf("session waits up to %v for a lock, want the DSN's busy_timeout of 5s", s.sess.busy)
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "0", "synchronous": "1"} {
		var got string
		if err := s.sess.conn.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil || !strings.EqualFold(got, want) {
			t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
	var file string
	if err := s.sess.conn.QueryRowContext(t.Context(), "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil || file != path {
		t.Errorf("database file = %q, %v; want %q", file, err, path)
	}
}
