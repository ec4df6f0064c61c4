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

// wideRates, wideWeights and wideGaps make logs cross narrowSpan: limits
// and intervals far above it, weights and gaps (ms) on both sides of it.
var (
	wideWeights = []int64{0, 1, 2, 7, 1 << 20, narrowSpan/2 - 1, narrowSpan - 1, narrowSpan, 3 * narrowSpan}
	wideGaps    = []int64{0, 0, 1, 3, 1 << 20, narrowSpan / 2, narrowSpan - 1, narrowSpan, 1 << 33, 1 << 35}
)

func wideRates(t testing.TB) ratelimit.Rates {
	return MustRates(t, Per(1<<50, 1<<31*time.Millisecond), Per(1<<52, 1<<34*time.Millisecond))
}

// logStep is one step of a log driven against the model of runs: gap ms
// pass, then a take of n units (op 0), a refund of n units from the
// run'th newest run the model holds (op 1), or a sweep (op 2).
type logStep struct {
	op     byte
	gap, n int64
	run    int
}

// driveLog runs steps on a new log and on the model, requiring the same
// decisions and the same newest units throughout, and returns how many
// steps left the ring wide and how many narrowed it.
func driveLog(t *testing.T, rates ratelimit.Rates, steps []logStep) (wide, narrowed int) {
	t.Helper()
	l, ref := newUnitLog(ratelimit.SlidingWindowLog, "k", minTime, nil), &refRuns{}
	now := int64(-1 << 40)
	for step, s := range steps {
		now += s.gap
		wasWide := l.wide
		switch s.op {
		case 0:
			var want, got ratelimit.Decision
			core.DecideLog(&want, rates, now, s.n, ref)
			if _, err := l.take(&got, rates, l.stamp(now), s.n); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("step %d: take(%d) at %d = %+v, want %+v", step, s.n, now, got, want)
			}
			if want.Allowed && s.n > 0 {
				ref.add(now, s.n)
			}
		case 1:
			if len(ref.ts) > 0 {
				at := ref.ts[len(ref.ts)-1-s.run%len(ref.ts)]
				l.refund(at, s.n)
				ref.refund(at, s.n)
			}
		case 2:
			l.expire(now)
		}
		if l.wide {
			wide++
		} else if wasWide {
			narrowed++
		}
		// The log holds the model's newest units, all that count at now.
		if c, all := l.count(), ref.count(); c > all || all-c > all-ref.CountSince(0, now-rates.Largest().IntervalMillis()) {
			t.Fatalf("step %d: the log holds %d units, the model %d", step, c, all)
		}
		for _, k := range []int64{0, 1, l.count() / 2, l.count() - 1} {
			if k < 0 || k >= l.count() {
				continue
			}
			got, gok := l.NthNewest(k)
			want, wok := ref.NthNewest(k)
			if got != want || gok != wok {
				t.Fatalf("step %d: NthNewest(%d) = %d, %v, want %d, %v", step, k, got, gok, want, wok)
			}
		}
	}
	return wide, narrowed
}

// TestLogWideMatchesModel drives logs through weights and gaps on both
// sides of narrowSpan (units, and milliseconds between stamps), with
// refunds and sweeps, so that their rings turn wide and narrow again.
func TestLogWideMatchesModel(t *testing.T) {
	rates := wideRates(t)
	var wide, narrowed int
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 3))
		steps := make([]logStep, 400)
		for i := range steps {
			// Small weights and gaps mostly, so that the large ones come
			// now and then to a log that holds runs of many sizes.
			s := &steps[i]
			s.gap, s.n = int64(r.IntN(3)), wideWeights[r.IntN(3)]
			if r.IntN(4) == 0 {
				s.gap = wideGaps[r.IntN(len(wideGaps))]
			}
			if r.IntN(5) == 0 {
				s.n = wideWeights[r.IntN(len(wideWeights))]
			}
			switch r.IntN(20) {
			case 0:
				s.op, s.run = 1, r.IntN(1<<20) // any run, the oldest too
			case 1:
				s.op = 2
			}
		}
		w, n := driveLog(t, rates, steps)
		wide, narrowed = wide+w, narrowed+n
	}
	if wide == 0 || narrowed == 0 {
		t.Fatalf("%d steps left the ring wide, %d narrowed it: want both", wide, narrowed)
	}
}

// FuzzLogMatchesModel is TestLogWideMatchesModel's check on the steps the
// fuzzer makes, three bytes each: the operation, the gap and the weight
// (indexes into wideGaps and wideWeights, or a few units or ms as is).
func FuzzLogMatchesModel(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 9, 8, 0, 0, 1, 1, 1, 7, 2, 11, 0, 0, 0, 2})
	f.Add([]byte{0, 2, 7, 0, 0, 7, 0, 7, 1, 0, 1, 1, 0, 8, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		pick := func(b byte, from []int64) int64 {
			if int(b) < len(from) {
				return from[b]
			}
			return int64(b) - int64(len(from))
		}
		var steps []logStep
		for ; len(data) >= 3 && len(steps) < 200; data = data[3:] {
			steps = append(steps, logStep{
				op:  data[0] % 3,
				gap: pick(data[1], wideGaps),
				n:   pick(data[2], wideWeights),
				run: int(data[0] / 3),
			})
		}
		driveLog(t, wideRates(t), steps)
	})
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
