package memorystore

import (
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// TestHashCollision plants a key under another key's hash: lookups must go to
// the collided map and keep the two keys apart.
func TestHashCollision(t *testing.T) {
	s, err := New([]ratelimit.Rate{ratelimit.PerSecond(2)}, WithSweepInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sh, h := s.locate("a")
	sh.logs[h] = newUnitLog(1, "impostor") // "impostor" pretends to hash like "a"
	ctx := t.Context()
	for range 2 {
		if d, _ := s.Acquire(ctx, "a", 1); !d.Allowed {
			t.Fatal("a denied early")
		}
	}
	if d, _ := s.Acquire(ctx, "a", 1); d.Allowed {
		t.Fatal("a allowed past its limit")
	}
	if len(sh.collided) != 1 || sh.logs[h].key != "impostor" || sh.logs[h].count() != 0 {
		t.Fatalf("collided = %d keys, logs[h] = %q with %d units", len(sh.collided), sh.logs[h].key, sh.logs[h].count())
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2", s.Len())
	}
}
