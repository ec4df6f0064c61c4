package sqlitestore_test

import (
	"path/filepath"
	"testing"

	ratelimit "github.com/gorate/ratelimit/core"
	"github.com/gorate/ratelimit/core/ratelimittest"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestConformance runs the suite against a fresh file per store, through
// both paths into a store: a name's view (as the bucket) and the Store (as
// the factory), then once over an in-memory database.
func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		path func(t *testing.T) string
	}{
		{"File", func(t *testing.T) string { return filepath.Join(t.TempDir(), "ratelimit.db") }},
		{"Memory", func(*testing.T) string { return sqlitestore.Memory }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			open := func(t *testing.T, rates ratelimit.Rates) *sqlitestore.Store {
				t.Helper()
				// The suite's explicit timestamps are not wall-clock times: a
				// sweeper reading the wall clock would leak them all.
				s, err := sqlitestore.Open(tt.path(t), rates, sqlitestore.WithSweepInterval(0))
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			ratelimittest.Run(t, ratelimittest.Harness{
				NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
					s := open(t, rates)
					b, err := s.Bucket(t.Context(), "key")
					if err != nil {
						t.Fatal(err)
					}
					return ratelimittest.StoreView(b, s)
				},
				NewFactory: func(t *testing.T, rates ratelimit.Rates) ratelimit.Factory {
					return open(t, rates)
				},
			})
		})
	}
}
