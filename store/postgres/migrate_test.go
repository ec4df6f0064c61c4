package pgstore_test

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// TestMigrateDrop runs Migrate again, for each algorithm, on tables with
// rows (it keeps them), then Drop: puts fail until Migrate creates the
// tables anew.
func TestMigrateDrop(t *testing.T) {
	pool := sharedPool(t)
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s := newStore(t, pool, []ratelimit.Rate{ratelimit.PerHour(2)}, pgstore.WithAlgorithm(alg))
			ctx := t.Context()
			if d, err := s.Acquire(ctx, "k", 2); err != nil || !d.Allowed {
				t.Fatalf("Acquire = %+v, %v", d, err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("second Migrate: %v", err)
			}
			if d, err := s.Acquire(ctx, "k", 1); err != nil || d.Allowed {
				t.Fatalf("Acquire after a second Migrate = %+v, %v; want denied (rows kept)", d, err)
			}
			if err := s.Drop(ctx); err != nil {
				t.Fatalf("Drop: %v", err)
			}
			if _, err := s.Acquire(ctx, "k", 1); err == nil {
				t.Fatal("Acquire after Drop: no error")
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate after Drop: %v", err)
			}
			if d, err := s.Acquire(ctx, "k", 2); err != nil || !d.Allowed {
				t.Fatalf("Acquire on the new table = %+v, %v; want allowed", d, err)
			}
		})
	}
}
