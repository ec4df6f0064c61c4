package memorystore

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
)

// TestLogMatchesNaive drives unitLog and the reference log with the same random
// puts (mostly in time order, some out of order, several names and weights),
// leaks and peeks, and requires identical answers throughout.
func TestLogMatchesNaive(t *testing.T) {
	rates, err := ratelimit.NewRates(ratelimit.Per(7, 50*time.Millisecond), ratelimit.Per(20, 400*time.Millisecond), ratelimit.Per(40, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	maxIv := rates.Largest().IntervalMillis()
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 1))
		l, ref := newUnitLog(len(rates), ""), &ratelimittest.ReferenceLog{}
		now := int64(1000)
		for step := range 3000 {
			now += int64(r.IntN(12))
			ts := now
			if r.IntN(10) == 0 {
				ts -= int64(r.IntN(30)) // out of order
			}
			item := ratelimit.Item{Name: []string{"a", "b", "c"}[r.IntN(3)], Time: ts, Weight: int64(r.IntN(4))}
			if r.IntN(4) > 0 {
				item.Name = "a"
			}
			want := ratelimit.SlidingWindowLog{}.Decide(rates, item, ref)
			var got ratelimit.Decision
			l.put(&got, rates, item, maxIv)
			if got != want {
				t.Fatalf("seed %d step %d: put %v = %+v, want %+v", seed, step, item, got, want)
			}
			if want.Allowed && item.Weight > 0 {
				ref.Insert(item.Name, item.Time, item.Weight)
			}
			// A full ring reclaims units older than the largest window; they
			// count for nothing, and the model drops them too.
			oldest := now + 1
			if !l.empty() {
				oldest = l.at(l.head).ts
			}
			if i, _ := slices.BinarySearch(ref.Units, oldest); i > 0 && ref.Units[i-1] >= item.Time-maxIv {
				t.Fatalf("seed %d step %d: the log dropped a unit at %d that still counts at %d", seed, step, ref.Units[i-1], item.Time)
			}
			ref.Leak(oldest)
			if r.IntN(50) == 0 {
				bound := now - maxIv + int64(r.IntN(100))
				if g, w := l.leak(bound), ref.Leak(bound); g != w {
					t.Fatalf("seed %d step %d: leak(%d) = %d, want %d", seed, step, bound, g, w)
				}
			}
			if l.count() != int64(len(ref.Units)) {
				t.Fatalf("seed %d step %d: count = %d, want %d", seed, step, l.count(), len(ref.Units))
			}
			if k := int64(r.IntN(len(ref.Units) + 1)); k < int64(len(ref.Units)) {
				it, ok := l.item(k)
				i := int64(len(ref.Units)) - 1 - k
				if !ok || it.Time != ref.Units[i] || it.Name != ref.Names[i] {
					t.Fatalf("seed %d step %d: item(%d) = %v, %v; want %s at %d", seed, step, k, it, ok, ref.Names[i], ref.Units[i])
				}
			}
		}
	}
}

func TestLogMergesAndBounds(t *testing.T) {
	rates, _ := ratelimit.NewRates(ratelimit.Per(1<<40, time.Second))
	l := newUnitLog(1, "k")
	for ms := range int64(10_000) {
		for range 5 {
			var d ratelimit.Decision
			l.put(&d, rates, ratelimit.Item{Name: "k", Time: ms, Weight: 1}, 1000)
		}
	}
	// One entry per millisecond, and the ring grows no further than the
	// power of two above what one window (1001 milliseconds, edges
	// included) needs: a full ring reclaims before it grows.
	if len(l.buf) > 2048 {
		t.Fatalf("ring grew to %d entries, want at most 2048", len(l.buf))
	}
	if l.names != nil {
		t.Fatal("a single-name log made a names ring")
	}
}

func TestLogNoAllocsWhenWarm(t *testing.T) {
	rates, _ := ratelimit.NewRates(ratelimit.Per(100, time.Second), ratelimit.Per(1000, time.Minute))
	l := newUnitLog(2, "k")
	ts := int64(0)
	put := func() {
		ts++
		var d ratelimit.Decision
		l.put(&d, rates, ratelimit.Item{Name: "k", Time: ts, Weight: 1}, 60_000)
	}
	for range 200_000 {
		put()
	}
	if n := testing.AllocsPerRun(1000, put); n != 0 {
		t.Fatalf("put allocates %v times when warm, want 0", n)
	}
}

func TestLogLayout(t *testing.T) {
	if size := unsafe.Sizeof(unitLog{}); size != 256 {
		t.Fatalf("unitLog is %d bytes; keep it at 256, a size class aligned to cache lines", size)
	}
	if off := unsafe.Offsetof(unitLog{}.small); off%64 != 0 {
		t.Fatalf("unitLog.small at offset %d, want a cache-line boundary", off)
	}
}
