//go:build linux || darwin

package mpstore

import (
	"path/filepath"
	"slices"
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// TestCrashPoints cuts one change short at each crash point, once or twice
// in a row (the second time inside the repair of the first), and checks
// what the next lock holder sees: the change wholly applied when it was
// committed (the journaled insert) and wholly absent otherwise.
func TestCrashPoints(t *testing.T) {
	type put struct {
		key, name string
		ts        int64
	}
	tests := []struct {
		name    string
		point   string
		skips   []int // one crash per element, each after skipping that many calls
		put     put
		applied bool
	}{
		{"append", pointAppend, []int{0}, put{"k", "k", 45}, false},
		{"claim", pointClaim, []int{0}, put{"new", "new", 45}, false},
		{"alias", pointAlias, []int{0}, put{"k", "other", 45}, false},
		{"shift first move", pointShift, []int{0}, put{"k", "k", 15}, true},
		{"shift last move", pointShift, []int{3}, put{"k", "k", 15}, true},
		{"shift, then repair", pointShift, []int{1, 0}, put{"k", "k", 15}, true},
		{"shift, repair twice", pointShift, []int{0, 0, 0}, put{"k", "other", 25}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(func() { crashHook = nil })
			ctx := t.Context()
			s, err := Open(filepath.Join(t.TempDir(), "s"), []ratelimit.Rate{ratelimit.PerSecond(100)}, WithClock(ratelimit.NewFakeClock(0)))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			b, _ := s.Bucket(ctx, "k")
			for _, ts := range []int64{10, 20, 30, 40} {
				if _, err := b.Put(ctx, ratelimit.Item{Name: "k", Time: ts, Weight: 1}); err != nil {
					t.Fatal(err)
				}
			}
			pb, _ := s.Bucket(ctx, tt.put.key)
			item := ratelimit.Item{Name: tt.put.name, Time: tt.put.ts, Weight: 2}
			op := func() { pb.Put(ctx, item) }
			for i, skip := range tt.skips {
				stop := crashAt(tt.point, skip)
				if got := tryCrash(op); got != tt.point {
					t.Fatalf("crash %d: crashed at %q, want %q", i, got, tt.point)
				}
				stop()
				op = func() { s.Len() } // the next holder repairs
			}
			if _, err := s.Len(); err != nil { // repairs what the last crash left
				t.Fatal(err)
			}
			var want []ratelimit.Item
			for _, ts := range []int64{40, 30, 20, 10} {
				want = append(want, ratelimit.Item{Name: "k", Time: ts, Weight: 1})
			}
			if tt.applied {
				want = append(want, ratelimit.Item{Name: tt.put.name, Time: tt.put.ts, Weight: 2})
				slices.SortStableFunc(want, func(a, b ratelimit.Item) int { return int(b.Time - a.Time) })
			}
			if got := peekAll(t, b); !slices.Equal(got, want) {
				t.Fatalf("entries after the crash = %v, want %v", got, want)
			}
			// The store goes on as if nothing happened.
			if d, err := pb.Put(ctx, item); err != nil || !d.Allowed {
				t.Fatalf("Put after the crash = %+v, %v", d, err)
			}
			if n, _ := pb.Count(ctx); tt.put.key == "new" && n != 2 {
				t.Fatalf("Count of the new key = %d, want 2", n)
			}
			if it, _, _ := pb.Peek(ctx, 0); tt.put.ts > 40 && it.Name != tt.put.name {
				t.Fatalf("Peek(0) = %v, want the name %q", it, tt.put.name)
			}
		})
	}
}

// peekAll returns b's entries, newest first, merging the units of an entry.
func peekAll(t *testing.T, b ratelimit.Bucket) []ratelimit.Item {
	t.Helper()
	var items []ratelimit.Item
	for i := int64(0); ; {
		it, ok, err := b.Peek(t.Context(), i)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return items
		}
		items = append(items, it)
		i += it.Weight
	}
}

// TestIdleHint fills the table, then checks that a new key fails fast while
// no key can be idle, and succeeds once one is, or once a flush empties one.
func TestIdleHint(t *testing.T) {
	clock := ratelimit.NewFakeClock(0)
	s, err := Open(filepath.Join(t.TempDir(), "s"), []ratelimit.Rate{ratelimit.PerSecond(5)}, WithClock(clock), WithMaxKeys(2))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	s.Acquire(ctx, "a", 1)
	clock.Set(500)
	s.Acquire(ctx, "b", 1)
	if _, err := s.Acquire(ctx, "c", 1); err == nil {
		t.Fatal("third key admitted into two slots")
	}
	if hint := *s.m.at(hIdleAt); hint != 1001 {
		t.Fatalf("idle hint = %d, want 1001 (a's unit at 0 leaves the window then)", hint)
	}
	clock.Set(1001)
	if _, err := s.Acquire(ctx, "c", 1); err != nil {
		t.Fatalf("Acquire once a is idle: %v", err)
	}
	s.Acquire(ctx, "d", 1) // table full again: b (500) and c (1001) count
	if hint := *s.m.at(hIdleAt); hint != 1501 {
		t.Fatalf("idle hint = %d, want 1501", hint)
	}
	bb, _ := s.Bucket(ctx, "b")
	bb.Flush(ctx)
	if _, err := s.Acquire(ctx, "d", 1); err != nil {
		t.Fatalf("Acquire after flushing b: %v", err)
	}
}
