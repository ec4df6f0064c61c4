package sqlitestore_test

import (
	"math/rand/v2"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestMatchesMemoryStore drives a name's view and an in-memory bucket, the
// reference store, with the same random operations: puts with weights 0 to
// 13 (above the smallest limit too) under several item names, stamped
// forward and, often, before the newest unit (which the SQLite store must
// slide into place); leaks, peeks, counts and waits. Every answer must be
// the same.
//
// The memory store may drop units older than a put's time minus the largest
// interval when its ring is full (an implicit leak at the put's time), so
// before each step both stores are leaked at the latest time put so far:
// then they hold the same units.
func TestMatchesMemoryStore(t *testing.T) {
	rates := []ratelimit.Rate{ratelimit.Per(6, 100*time.Millisecond), ratelimit.Per(12, time.Second)}
	s := openStore(t, sqlitestore.Memory, rates, sqlitestore.WithSweepInterval(0)) // explicit times only
	view, err := s.Bucket(t.Context(), "key")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := memorystore.NewBucket(rates)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(3, 5))
	names := []string{"key", "other", ""}
	now := int64(1_000_000)
	steps := 4000
	if raceEnabled {
		steps = 1000
	}
	latest := now
	for step := range steps {
		now += rng.Int64N(30)
		if _, err := view.Leak(ctx, latest); err != nil {
			t.Fatal(err)
		}
		ref.Leak(ctx, latest)
		switch op := rng.IntN(20); {
		case op < 12:
			ts := now
			if rng.IntN(3) == 0 {
				ts -= rng.Int64N(400) // out of order
			}
			item := ratelimit.Item{Name: names[rng.IntN(len(names))], Time: ts, Weight: rng.Int64N(5)}
			if rng.IntN(20) == 0 {
				item.Weight = 13
			}
			got, err := view.Put(ctx, item)
			want, _ := ref.Put(ctx, item)
			if err != nil || got != want {
				t.Fatalf("step %d: Put(%v) = %+v, %v; want %+v", step, item, got, err, want)
			}
			latest = max(latest, ts)
		case op < 14:
			at := latest + rng.Int64N(1500)
			got, err := view.Leak(ctx, at)
			want, _ := ref.Leak(ctx, at)
			if err != nil || got != want {
				t.Fatalf("step %d: Leak(%d) = %d, %v; want %d", step, at, got, err, want)
			}
		case op < 17:
			n, _ := ref.Count(ctx)
			i := rng.Int64N(n + 2)
			got, gotOK, err := view.Peek(ctx, i)
			want, wantOK, _ := ref.Peek(ctx, i)
			if err != nil || gotOK != wantOK || got.Name != want.Name || got.Time != want.Time {
				t.Fatalf("step %d: Peek(%d) = %v, %v, %v; want %v, %v", step, i, got, gotOK, err, want, wantOK)
			}
		case op < 18:
			got, err := view.Count(ctx)
			want, _ := ref.Count(ctx)
			if err != nil || got != want {
				t.Fatalf("step %d: Count = %d, %v; want %d", step, got, err, want)
			}
		default:
			item := ratelimit.Item{Name: "key", Time: now, Weight: rng.Int64N(8)}
			got, err := view.Waiting(ctx, item)
			want, _ := ref.Waiting(ctx, item)
			if err != nil || got != want {
				t.Fatalf("step %d: Waiting(%v) = %v, %v; want %v", step, item, got, err, want)
			}
		}
	}
}

// TestStampsNeverGoBack reads a clock that goes back (a wall clock stepped
// back, or another process's clock ahead of this one's): PutNow stamps no
// earlier than the name's newest unit, so no window ever loses a unit.
func TestStampsNeverGoBack(t *testing.T) {
	clock := ratelimit.NewFakeClock(10_000)
	s := openStore(t, sqlitestore.Memory, []ratelimit.Rate{ratelimit.PerSecond(2)}, sqlitestore.WithClock(clock))
	ctx := t.Context()
	steps := []struct {
		clock, stamp int64
		allowed      bool
	}{
		{10_000, 10_000, true},
		{9_000, 10_000, true}, // the clock went back a second
		{9_500, 10_000, false},
		{11_001, 11_001, true},
	}
	for i, st := range steps {
		clock.Set(st.clock)
		d, err := s.Acquire(ctx, "a", 1)
		if err != nil || d.Time != st.stamp || d.Allowed != st.allowed {
			t.Fatalf("step %d (clock %d): %+v, %v; want stamp %d, allowed %v", i, st.clock, d, err, st.stamp, st.allowed)
		}
	}
}
