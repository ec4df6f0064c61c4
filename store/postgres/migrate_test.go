package pgstore_test

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/core"
)

// TestMigrateDrop runs Migrate again on a table with rows (it keeps them),
// then Drop: puts fail until Migrate creates the table anew.
func TestMigrateDrop(t *testing.T) {
	pool := sharedPool(t)
	s := newStore(t, pool, []ratelimit.Rate{ratelimit.PerHour(2)})
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
}
