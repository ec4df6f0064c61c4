package sqlitestore

import (
	"path/filepath"
	"strings"
	"testing"

	ratelimit "github.com/gorate/ratelimit/core"
)

// TestOpenPragmas checks that the _pragma parameters of Open's data source
// name take effect on the store's connection.
func TestOpenPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd ?#%name.db")
	s, err := Open(path, []ratelimit.Rate{ratelimit.PerSecond(1)}, WithSweepInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for pragma, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "5000", "synchronous": "1"} {
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
