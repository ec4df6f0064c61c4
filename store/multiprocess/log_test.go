//go:build linux || darwin

package mpstore

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
)

// crashAt makes the crash hook panic at the given point's call after skip
// others, as if the process were killed there, and returns a func that
// removes the hook.
func crashAt(point string, skip int) func() {
	crashHook = func(p string) {
		if p != point {
			return
		}
		if skip > 0 {
			skip--
			return
		}
		crashHook = nil
		panic(crash{p})
	}
	return func() { crashHook = nil }
}

type crash struct{ point string }

// tryCrash runs fn and reports the point it crashed at, if any.
func tryCrash(fn func()) (point string) {
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(crash)
			if !ok {
				panic(r)
			}
			point = c.point
		}
	}()
	fn()
	return ""
}

// TestLogMatchesNaive drives a key of a store and the reference log with the
// same random puts (mostly in time order, some out of order, several names
// and weights), leaks and peeks, and requires identical answers. Some puts
// are cut short at a crash point, as a process killed there would be: the
// next operation must see the put either fully applied (the journaled
// insert, committed before its first move) or not at all.
func TestLogMatchesNaive(t *testing.T) {
	rates, err := ratelimit.NewRates(ratelimit.Per(15, 50*time.Millisecond), ratelimit.Per(60, 400*time.Millisecond), ratelimit.Per(100, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	maxIv := rates.Largest().IntervalMillis()
	points := []string{pointAppend, pointShift, pointAlias, ""}
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Cleanup(func() { crashHook = nil })
			r := rand.New(rand.NewPCG(seed, 2))
			clock := ratelimit.NewFakeClock(1000)
			s, err := Open(filepath.Join(t.TempDir(), "s"), rates, WithClock(clock), WithMaxEntries(200))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			b, _ := s.Bucket(t.Context(), "k")
			ctx, ref := t.Context(), &ratelimittest.ReferenceLog{}
			names := []string{"k", "a", "b", "c", "d", "e", "f", "g"} // 7 aliases: all kept
			for step := range 3000 {
				now := clock.Advance(time.Duration(r.IntN(12)) * time.Millisecond)
				ts := now
				if r.IntN(8) == 0 {
					ts -= int64(r.IntN(30)) // out of order
				}
				item := ratelimit.Item{Name: names[r.IntN(len(names))], Time: ts, Weight: int64(r.IntN(4))}
				if r.IntN(3) > 0 {
					item.Name = "k"
				}
				want := ratelimit.SlidingWindowLog{}.Decide(rates, item, ref)
				point := points[r.IntN(len(points))]
				if r.IntN(4) > 0 {
					point = ""
				}
				var got ratelimit.Decision
				stop := crashAt(point, r.IntN(3))
				crashed := tryCrash(func() { got, err = b.Put(ctx, item) })
				stop()
				switch {
				case crashed == "" && (err != nil || got != want):
					t.Fatalf("step %d: Put %v = %+v, %v; want %+v", step, item, got, err, want)
				case crashed == "" && want.Allowed, crashed == pointShift:
					ref.Insert(item.Name, item.Time, item.Weight)
				}
				// A ring of 200 entries never fills here, so nothing is
				// reclaimed that the model keeps.
				if r.IntN(50) == 0 {
					bound := now + int64(r.IntN(100))
					g, err := b.Leak(ctx, bound)
					if w := ref.Leak(bound - maxIv); err != nil || g != w {
						t.Fatalf("step %d: Leak(%d) = %d, %v; want %d", step, bound, g, err, w)
					}
				}
				if n, err := b.Count(ctx); err != nil || n != int64(len(ref.Units)) {
					t.Fatalf("step %d (crash at %q): Count = %d, %v; want %d", step, crashed, n, err, len(ref.Units))
				}
				if k := int64(r.IntN(len(ref.Units) + 1)); k < int64(len(ref.Units)) {
					it, ok, err := b.Peek(ctx, k)
					i := int64(len(ref.Units)) - 1 - k
					if err != nil || !ok || it.Time != ref.Units[i] || it.Name != ref.Names[i] {
						t.Fatalf("step %d: Peek(%d) = %v, %v, %v; want %s at %d", step, k, it, ok, err, ref.Names[i], ref.Units[i])
					}
				}
			}
		})
	}
}
