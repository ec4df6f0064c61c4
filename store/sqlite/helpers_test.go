package sqlitestore_test

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// openStore opens a Store on path that the test closes at its end.
func openStore(t *testing.T, path string, rates []ratelimit.Rate, opts ...sqlitestore.Option) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(path, rates, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
