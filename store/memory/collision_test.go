package memorystore

import (
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// TestHashCollision plants a key under another key's hash, in the slot the
// other's takes reach first: lookups must compare keys and keep the two
// apart, and Reset must forget the right one. The impostor holds a unit
// under other rates than the key's takes, or under the same rates slice,
// which a take that finds the slot without the shard's lock would decide
// on at once, but for the key it checks there.
func TestHashCollision(t *testing.T) {
	rates := MustRates(t, ratelimit.PerSecond(2))
	for name, own := range map[string]ratelimit.Rates{
		"OtherRates": MustRates(t, ratelimit.PerHour(5)),
		"SameRates":  rates,
	} {
		t.Run(name, func(t *testing.T) {
			s, err := New(WithClock(core.NewFakeClock(1000))) // the clock stands: no sweep
			if err != nil {
				t.Fatal(err)
			}
			sh, h := s.locate("a")
			impostor := newUnitLog(s.alg, "impostor", minTime, nil)
			impostor.setRates(own, 1000)
			impostor.insert(1000, 1)
			sh.keys.insert(h, impostor)
			s.keys.Add(1)
			ctx := t.Context()
			for i := range 3 {
				if d, _ := s.Take(ctx, "a", rates, 1); d.Allowed != (i < 2) {
					t.Fatalf("take %d of a: allowed %v, want %v", i, d.Allowed, i < 2)
				}
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
		})
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
