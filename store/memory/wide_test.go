package memorystore

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// refRuns is a sliding-window log of runs, a stamp and a weight each, in
// order of stamp: the model for logs whose units are too many to hold one
// by one.
type refRuns struct{ ts, w []int64 }

func (r *refRuns) CountSince(_ int, since int64) int64 {
	var n int64
	for i := len(r.ts) - 1; i >= 0 && r.ts[i] >= since; i-- {
		n += r.w[i]
	}
	return n
}

func (r *refRuns) NthNewest(k int64) (int64, bool) {
	for i := len(r.ts) - 1; i >= 0 && k >= 0; i-- {
		if k < r.w[i] {
			return r.ts[i], true
		}
		k -= r.w[i]
	}
	return 0, false
}

func (r *refRuns) count() int64 { return r.CountSince(0, minTime) }

func (r *refRuns) add(ts, n int64) {
	if last := len(r.ts) - 1; last >= 0 && r.ts[last] == ts {
		r.w[last] += n
		return
	}
	r.ts, r.w = append(r.ts, ts), append(r.w, n)
}

// refund removes n units stamped at, fewer if fewer are, as unitLog.refund.
func (r *refRuns) refund(at, n int64) {
	for i, ts := range r.ts {
		if ts == at {
			if r.w[i] -= min(n, r.w[i]); r.w[i] == 0 {
				r.ts = append(r.ts[:i], r.ts[i+1:]...)
				r.w = append(r.w[:i], r.w[i+1:]...)
			}
			return
		}
	}
}

// TestLogWideMatchesModel drives a log through weights and gaps on both
// sides of narrowSpan (units, and milliseconds between stamps), with
// refunds and sweeps, so that its ring turns wide and narrow again, and
// requires the decisions and the units of the model of runs throughout.
func TestLogWideMatchesModel(t *testing.T) {
	rates := MustRates(t, Per(1<<50, 1<<31*time.Millisecond), Per(1<<52, 1<<34*time.Millisecond))
	weights := []int64{0, 1, 2, 7, 1 << 20, narrowSpan/2 - 1, narrowSpan - 1, narrowSpan, 3 * narrowSpan}
	gaps := []int64{0, 0, 1, 3, 1 << 20, narrowSpan / 2, narrowSpan - 1, narrowSpan, 1 << 33, 1 << 35}
	var wide, narrowed int
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 3))
		l, ref := newUnitLog(ratelimit.SlidingWindowLog, "k", minTime, nil), &refRuns{}
		now := int64(-1 << 40)
		for step := range 400 {
			// Small weights and gaps mostly, so that the large ones come
			// now and then to a log that holds runs of many sizes.
			if r.IntN(4) == 0 {
				now += gaps[r.IntN(len(gaps))]
			} else {
				now += int64(r.IntN(3))
			}
			n := weights[r.IntN(3)]
			if r.IntN(5) == 0 {
				n = weights[r.IntN(len(weights))]
			}
			var want, got ratelimit.Decision
			core.DecideLog(&want, rates, now, n, ref)
			wasWide := l.wide
			if _, err := l.take(&got, rates, l.stamp(now), n); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("seed %d step %d: take(%d) at %d = %+v, want %+v", seed, step, n, now, got, want)
			}
			if want.Allowed && n > 0 {
				ref.add(now, n)
			}
			if l.wide {
				wide++
			} else if wasWide {
				narrowed++
			}
			switch r.IntN(20) {
			case 0:
				if len(ref.ts) > 0 {
					i := r.IntN(len(ref.ts))
					at, k := ref.ts[i], weights[r.IntN(len(weights))]
					l.refund(at, k)
					ref.refund(at, k)
				}
			case 1:
				l.expire(now)
			}
			// The log holds the model's newest units, all that count at now.
			if c, all := l.count(), ref.count(); c > all || all-c > all-ref.CountSince(0, now-rates.Largest().IntervalMillis()) {
				t.Fatalf("seed %d step %d: the log holds %d units, the model %d", seed, step, c, all)
			}
			for _, k := range []int64{0, 1, l.count() / 2, l.count() - 1} {
				got, gok := l.NthNewest(k)
				want, wok := ref.NthNewest(k)
				if k >= 0 && k < l.count() && (got != want || gok != wok) {
					t.Fatalf("seed %d step %d: NthNewest(%d) = %d, %v, want %d, %v", seed, step, k, got, gok, want, wok)
				}
			}
		}
	}
	if wide == 0 || narrowed == 0 {
		t.Fatalf("%d takes left the ring wide, %d narrowed it: want both", wide, narrowed)
	}
}

// TestLogNarrowBounds holds the edges of a narrow ring: a log of
// narrowSpan-1 units, or of stamps narrowSpan-1 ms apart, stays narrow, and
// one more unit or millisecond widens it.
func TestLogNarrowBounds(t *testing.T) {
	rates := MustRates(t, Per(1<<50, 1<<34*time.Millisecond))
	for _, c := range []struct {
		name       string
		first, ts  int64 // the stamps of the two takes
		n1, n2     int64 // their weights
		wantWide   bool
		wantCounts int64
	}{
		{"units below the bound", 0, 1, narrowSpan - 2, 1, false, narrowSpan - 1},
		{"units at the bound", 0, 1, narrowSpan - 1, 1, true, narrowSpan},
		{"units merged at the bound", 0, 0, narrowSpan - 1, 1, true, narrowSpan},
		{"span below the bound", 0, narrowSpan - 1, 1, 1, false, 2},
		{"span at the bound", 0, narrowSpan, 1, 1, true, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newUnitLog(ratelimit.SlidingWindowLog, "k", minTime, nil)
			var d ratelimit.Decision
			l.take(&d, rates, c.first, c.n1)
			l.take(&d, rates, c.ts, c.n2)
			if l.wide != c.wantWide || l.count() != c.wantCounts || !d.Allowed {
				t.Fatalf("wide %v, %d units, %+v; want wide %v, %d units, admitted", l.wide, l.count(), d, c.wantWide, c.wantCounts)
			}
			if ts, _ := l.NthNewest(l.count() - 1); ts != c.first {
				t.Fatalf("oldest unit at %d, want %d", ts, c.first)
			}
			if ts, _ := l.NthNewest(0); ts != c.ts {
				t.Fatalf("newest unit at %d, want %d", ts, c.ts)
			}
		})
	}
}
