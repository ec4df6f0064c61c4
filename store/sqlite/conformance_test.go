package sqlitestore_test

import (
	"path/filepath"
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// algorithms are the algorithms the store offers, each run through the
// whole suite.
var algorithms = []ratelimit.Algorithm{
	ratelimit.AlgorithmSlidingWindowLog,
	ratelimit.AlgorithmGCRA,
	ratelimit.AlgorithmSlidingWindowCounter,
}

// TestConformance runs the suite, for each algorithm, against a fresh file
// per store, through both paths into a store: a name's view (as the bucket)
// and the Store (as the factory), then once over an in-memory database.
func TestConformance(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			testConformance(t, alg)
		})
	}
}

func testConformance(t *testing.T, alg ratelimit.Algorithm) {
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
				s, err := sqlitestore.Open(tt.path(t), rates, sqlitestore.WithSweepInterval(0), sqlitestore.WithAlgorithm(alg))
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			ratelimittest.Run(t, ratelimittest.Harness{
				Algorithm: alg,
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
