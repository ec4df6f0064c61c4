package memorystore

import (
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// TestHashCollision plants a key under another key's hash: lookups must
// compare keys and keep the two apart, and Reset must forget the right one.
func TestHashCollision(t *testing.T) {
	s, err := New(WithClock(core.NewFakeClock(1000)))
	if err != nil {
		t.Fatal(err)
	}
	rates := MustRates(t, ratelimit.PerSecond(2))
	sh, h := s.locate("a")
	// "impostor" pretends to hash like "a", and holds a unit for an hour, so
	// that no sweep drops it.
	hour := MustRates(t, ratelimit.PerHour(5))
	impostor := newUnitLog(s.alg, "impostor", minTime, nil)
	impostor.setRates(hour, 1000)
	impostor.insert(1000, 1)
	sh.keys.insert(h, impostor)
	s.keys.Add(1)
	ctx := t.Context()
	for range 2 {
		if d, _ := s.Take(ctx, "a", rates, 1); !d.Allowed {
			t.Fatal("a denied early")
		}
	}
	if d, _ := s.Take(ctx, "a", rates, 1); d.Allowed {
		t.Fatal("a allowed past its limit")
	}
	a := sh.keys.lookup("a", h)
	if a == nil || a == impostor || sh.keys.lookup("impostor", h) != impostor || impostor.count() != 1 || a.count() != 2 {
		t.Fatalf("a held apart: %v; the impostor found under its key: %v, with %d units", a != nil && a != impostor, sh.keys.lookup("impostor", h) == impostor, impostor.count())
	}
	if n := KeyCount(s); n != 2 {
		t.Fatalf("%d keys, want 2", n)
	}
	s.Reset(ctx, "a")
	if sh.keys.lookup("a", h) != nil || sh.keys.lookup("impostor", h) != impostor || KeyCount(s) != 1 {
		t.Fatalf("after Reset(a): a held: %v, the impostor found: %v, %d keys", sh.keys.lookup("a", h) != nil, sh.keys.lookup("impostor", h) == impostor, KeyCount(s))
	}
}

// TestHashCollisionSameRates has a key's take meet, in the slot of its hash,
// another key of that hash under the same rates: a take that finds a slot
// without the shard's lock must check the key it finds there.
func TestHashCollisionSameRates(t *testing.T) {
	s, err := New(WithClock(core.NewFakeClock(1000)))
	if err != nil {
		t.Fatal(err)
	}
	rates := MustRates(t, ratelimit.PerHour(2))
	sh, h := s.locate("a")
	impostor := newUnitLog(s.alg, "impostor", minTime, nil)
	impostor.setRates(rates, 1000)
	impostor.insert(1000, 1)
	sh.keys.insert(h, impostor)
	s.keys.Add(1)
	for i := range 3 {
		if d, _ := s.Take(t.Context(), "a", rates, 1); d.Allowed != (i < 2) {
			t.Fatalf("take %d of a: allowed %v", i, d.Allowed)
		}
	}
	if a := sh.keys.lookup("a", h); a == nil || a == impostor || a.count() != 2 || impostor.count() != 1 {
		t.Fatalf("a held apart: %v; the impostor holds %d units, want 1", a != nil && a != impostor, impostor.count())
	}
}

// TestStampsNeverGoBack reads a clock that goes backwards, as a take that
// read the clock before a concurrent take or sweep but locked after it
// would see: the take is stamped no earlier than the latest reading applied
// to its key, or to its shard by a sweep that dropped the key, so that
// nothing it should count was dropped.
func TestStampsNeverGoBack(t *testing.T) {
	clock := core.NewFakeClock(1000)
	s, err := New(WithClock(clock), WithShards(1))
	if err != nil {
		t.Fatal(err)
	}
	rates := MustRates(t, ratelimit.PerSecond(2))
	ctx := t.Context()
	s.Take(ctx, "a", rates, 1)
	clock.Set(500)
	s.Take(ctx, "a", rates, 1)
	sh, h := s.locate("a")
	if got := sh.keys.lookup("a", h).newestTs; got != 1000 {
		t.Fatalf("a take whose clock read 500 stamped %d, want 1000", got)
	}
	// A sweep at 5000 drops the idle key; a take that read 4000 adds it
	// afresh, stamped at 5000.
	clock.Set(5000)
	s.Take(ctx, "b", rates, 1)
	if n := KeyCount(s); n != 1 {
		t.Fatalf("%d keys after the sweep, want 1", n)
	}
	clock.Set(4000)
	s.Take(ctx, "a", rates, 1)
	if got := sh.keys.lookup("a", h).newestTs; got != 5000 {
		t.Fatalf("a take whose clock read 4000 after a sweep at 5000 stamped %d, want 5000", got)
	}
}
