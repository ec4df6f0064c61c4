package memorystore

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// refLog is the plainest sliding-window log: one timestamp per unit, in
// order. It is the model unitLog is held to.
type refLog struct{ units []int64 }

func (r *refLog) CountSince(_ int, since int64) int64 {
	i, _ := slices.BinarySearch(r.units, since)
	return int64(len(r.units) - i)
}

func (r *refLog) NthNewest(k int64) (int64, bool) {
	if k < 0 || k >= int64(len(r.units)) {
		return 0, false
	}
	return r.units[int64(len(r.units))-1-k], true
}

// rerate returns next, the rates of a take at now after a take under rates;
// when they differ, it first drops the units rates no longer count at now,
// as the store does.
func (r *refLog) rerate(rates, next ratelimit.Rates, now int64) ratelimit.Rates {
	if !slices.Equal(next, rates) {
		r.drop(now - rates.Largest().IntervalMillis())
	}
	return next
}

// drop removes the units stamped before bound.
func (r *refLog) drop(bound int64) {
	i, _ := slices.BinarySearch(r.units, bound)
	r.units = r.units[i:]
}

// TestLogMatchesModel drives a unitLog and the model with the same random
// takes (weights, gaps, sweeps, and rate lists of one to three rates that
// change now and then, sometimes to equal rates in another slice), and
// requires identical decisions and contents throughout. On a change of
// rates the model drops the units the last rates no longer count, as the
// store promises; otherwise it keeps every unit, so a unit the ring
// reclaimed too early shows as a difference.
func TestLogMatchesModel(t *testing.T) {
	lists := []ratelimit.Rates{
		MustRates(t, Per(7, 50*time.Millisecond), Per(20, 400*time.Millisecond), ratelimit.PerSecond(40)),
		MustRates(t, Per(7, 50*time.Millisecond), Per(20, 400*time.Millisecond), ratelimit.PerSecond(40)),
		MustRates(t, Per(10, 400*time.Millisecond)),
		MustRates(t, Per(3, 20*time.Millisecond), Per(30, time.Second)),
		MustRates(t, Per(5, 50*time.Millisecond), Per(25, 400*time.Millisecond), ratelimit.PerSecond(45), Per(60, 3*time.Second)),
	}
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 1))
		l, ref := newUnitLog(ratelimit.SlidingWindowLog, "k", minTime, nil), &refLog{}
		rates := lists[0]
		now := int64(1000)
		for step := range 3000 {
			now += int64(r.IntN(12))
			if r.IntN(100) == 0 {
				rates = ref.rerate(rates, lists[r.IntN(len(lists))], now)
			}
			n := int64(r.IntN(4))
			var want, got ratelimit.Decision
			core.DecideLog(&want, rates, now, n, ref)
			if _, err := l.take(&got, rates, l.stamp(now), n); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("seed %d step %d: take(%d) at %d = %+v, want %+v", seed, step, n, now, got, want)
			}
			if want.Allowed {
				for range n {
					ref.units = append(ref.units, now)
				}
			}
			if r.IntN(200) == 0 {
				l.expire(now)
				ref.drop(now - rates.Largest().IntervalMillis())
			}
			// The log holds what the model holds, or less, but never a unit
			// that still counts at now for the key's rates.
			held := &refLog{ref.units[int64(len(ref.units))-l.count():]}
			if dropped := ref.units[:len(ref.units)-len(held.units)]; len(dropped) > 0 && dropped[len(dropped)-1] >= now-rates.Largest().IntervalMillis() {
				t.Fatalf("seed %d step %d: the log dropped a unit at %d that still counts at %d", seed, step, dropped[len(dropped)-1], now)
			}
			for k := range l.count() {
				if got, _ := l.NthNewest(k); got != held.units[int64(len(held.units))-1-k] {
					t.Fatalf("seed %d step %d: NthNewest(%d) = %d, want %d", seed, step, k, got, held.units[int64(len(held.units))-1-k])
				}
			}
		}
	}
}

func TestLogMergesAndBounds(t *testing.T) {
	rates := MustRates(t, ratelimit.PerSecond(1<<40))
	l := newUnitLog(ratelimit.SlidingWindowLog, "k", minTime, nil)
	for ms := range int64(10_000) {
		for range 5 {
			var d ratelimit.Decision
			l.take(&d, rates, ms, 1)
		}
	}
	// One entry per millisecond, and the ring grows no further than the
	// power of two above what one window (1001 milliseconds, edges
	// included) needs: a full ring reclaims before it grows.
	if l.size() > 2048 || l.wide {
		t.Fatalf("ring grew to %d entries (wide: %v), want at most 2048, narrow", l.size(), l.wide)
	}
	if l.count() < 5*1001 {
		t.Fatalf("the log holds %d units, fewer than one window's %d", l.count(), 5*1001)
	}
}

func TestLogNoAllocsWhenWarm(t *testing.T) {
	rates := MustRates(t, ratelimit.PerSecond(100), ratelimit.PerMinute(1000))
	l := newUnitLog(ratelimit.SlidingWindowLog, "k", minTime, nil)
	ts := int64(0)
	take := func() {
		ts++
		var d ratelimit.Decision
		l.take(&d, rates, ts, 1)
	}
	for range 200_000 {
		take()
	}
	if n := testing.AllocsPerRun(1000, take); n != 0 {
		t.Fatalf("take allocates %v times when warm, want 0", n)
	}
}

// TestLogCursorsFollowRates changes the number of rates past the two the
// log's own cursors hold and back.
func TestLogCursorsFollowRates(t *testing.T) {
	l := newUnitLog(ratelimit.SlidingWindowLog, "k", minTime, nil)
	for i, rates := range []ratelimit.Rates{
		MustRates(t, ratelimit.PerSecond(5)),
		MustRates(t, ratelimit.PerSecond(5), ratelimit.PerMinute(10), ratelimit.PerHour(20)),
		MustRates(t, ratelimit.PerSecond(5), ratelimit.PerMinute(10)),
		MustRates(t, ratelimit.PerSecond(5), ratelimit.PerMinute(10), ratelimit.PerHour(20), ratelimit.PerDay(30)),
	} {
		var d ratelimit.Decision
		l.take(&d, rates, int64(i), 1)
		if int(l.ncur) != len(rates) || len(l.more) != max(len(rates)-ownCursors, 0) {
			t.Fatalf("%d rates: %d cursors, %d of them outside the log", len(rates), l.ncur, len(l.more))
		}
		if !d.Allowed || d.Remaining != rates[0].Limit-int64(i)-1 {
			t.Fatalf("%d rates: take = %v", len(rates), d)
		}
	}
}

func TestLogLayout(t *testing.T) {
	if size := unsafe.Sizeof(unitLog{}); size != 256 {
		t.Fatalf("unitLog is %d bytes; keep it at 256, a size class aligned to cache lines", size)
	}
	// A take of one rate that adds no entry writes only the first two lines.
	if off := unsafe.Offsetof(unitLog{}.head); off != 64 {
		t.Fatalf("unitLog.head at offset %d, want 64: line 1 starts there", off)
	}
	if end := unsafe.Offsetof(unitLog{}.first) + unsafe.Sizeof(cursor{}); end != 128 {
		t.Fatalf("unitLog.first ends at offset %d, want 128: the end of line 1", end)
	}
	// A take that moves a cursor or adds an entry reads the ring's fields
	// from line 2 alone.
	if off := unsafe.Offsetof(unitLog{}.buf); off != 128 {
		t.Fatalf("unitLog.buf at offset %d, want 128: line 2 starts there", off)
	}
	if end := unsafe.Offsetof(unitLog{}.headTs) + 8; end > 192 {
		t.Fatalf("unitLog.headTs ends at offset %d, past line 2", end)
	}
	// The lock has line 3, which no take of one rate writes but to lock.
	if off := unsafe.Offsetof(unitLog{}.mu); off != 192 {
		t.Fatalf("unitLog.mu at offset %d, want 192: line 3 starts there", off)
	}
	if size := unsafe.Sizeof(shard{}); size != 128 {
		t.Fatalf("shard is %d bytes, want 128: two cache lines", size)
	}
}

// TestDecideOneMatchesCore holds decideOne, the decision of one rate, to
// core.DecideLog over the model: takes and checks of weights from 0 to past
// the limit, at random gaps, so that most are denied once the window fills
// and the ring reclaims and grows as it goes.
func TestDecideOneMatchesCore(t *testing.T) {
	for _, r := range []ratelimit.Rate{Per(5, 20*time.Millisecond), Per(10, 400*time.Millisecond), ratelimit.PerSecond(3)} {
		rates := MustRates(t, r)
		for seed := range uint64(10) {
			rnd := rand.New(rand.NewPCG(seed, 2))
			l, ref := newUnitLog(ratelimit.SlidingWindowLog, "k", minTime, nil), &refLog{}
			now := int64(1000)
			for step := range 2000 {
				now += int64(rnd.IntN(8))
				n := int64(rnd.IntN(int(r.Limit) + 2))
				var want, got ratelimit.Decision
				core.DecideLog(&want, rates, now, n, ref)
				check := rnd.IntN(4) == 0
				var err error
				if check {
					err = l.check(&got, rates, now, n)
				} else {
					_, err = l.take(&got, rates, l.stamp(now), n)
				}
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("%v seed %d step %d: %d units (check %v) at %d = %+v, want %+v", r, seed, step, n, check, now, got, want)
				}
				if want.Allowed && !check {
					for range n {
						ref.units = append(ref.units, now)
					}
				}
			}
		}
	}
}
