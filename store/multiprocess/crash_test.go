//go:build linux || darwin

package mpstore

import (
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
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

// cut runs fn, cut short at point as a process killed there would be,
// and fails the test unless fn reached point. The crash hook is removed
// when it returns.
func cut(t *testing.T, point string, fn func()) {
	t.Helper()
	stop := crashAt(point, 0)
	defer stop()
	if got := tryCrash(fn); got != point {
		t.Fatalf("crashed at %q, want %q", got, point)
	}
}

// TestCrashPoints cuts one take short at each crash point, as a process
// killed there would be, and checks what the next lock holder sees: the
// take wholly absent, and the store going on as if it had not happened.
func TestCrashPoints(t *testing.T) {
	tests := []struct {
		name  string
		alg   ratelimit.Algorithm
		point string
		key   string
		held  int64 // the key's units before the crashed take
	}{
		{"append", ratelimit.SlidingWindowLog, pointAppend, "k", 3},
		{"claim", ratelimit.SlidingWindowLog, pointClaim, "new", 0},
		{"GCRA state", ratelimit.GCRA, pointState, "k", 3},
		{"GCRA claim", ratelimit.GCRA, pointClaim, "new", 0},
		{"counter state", ratelimit.SlidingWindowCounter, pointState, "k", 3},
		{"counter claim", ratelimit.SlidingWindowCounter, pointClaim, "new", 0},
	}
	rates := mustRates(t, "5/s")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithAlgorithm(tt.alg), WithClock(clock))
			take(t, s, "k", rates, 3)
			clock.Set(10)
			cut(t, tt.point, func() { s.Take(t.Context(), tt.key, rates, 2) })
			// What the limit leaves after the key's units fits, and no
			// more: the crashed take stored nothing.
			left := 5 - tt.held
			if d := take(t, s, tt.key, rates, 2); !d.Allowed || d.Remaining != left-2 {
				t.Fatalf("Take of 2 after the crash = %v; want allowed, %d left", d, left-2)
			}
			if d := take(t, s, tt.key, rates, left-1); d.Allowed {
				t.Fatalf("Take of %d more = %v; want denied", left-1, d)
			}
			want := 1
			if tt.key != "k" {
				want = 2
			}
			if n := keysInUse(t, s); n != want {
				t.Fatalf("%d keys in use, want %d: one per key taken", n, want)
			}
		})
	}
}

// TestIdleHint fills the table, then checks that a new key fails fast while
// no key can be idle, and succeeds once one is, or once a take of a shorter
// interval, or a reset, lets one go sooner.
func TestIdleHint(t *testing.T) {
	clock := core.NewFakeClock(0)
	s := openTest(t, tempPath(t), WithClock(clock), WithMaxKeys(2))
	ctx := t.Context()
	rates := mustRates(t, "5/s")
	take(t, s, "a", rates, 1)
	clock.Set(500)
	take(t, s, "b", rates, 1)
	if _, err := s.Take(ctx, "c", rates, 1); err == nil {
		t.Fatal("third key admitted into two slots")
	}
	if hint := *s.m.at(hIdleAt); hint != 1001 {
		t.Fatalf("idle hint = %d, want 1001 (a's unit at 0 leaves the window then)", hint)
	}
	clock.Set(1001)
	take(t, s, "c", rates, 1)
	if _, err := s.Take(ctx, "d", rates, 1); err == nil { // b (500) and c (1001) count
		t.Fatal("third key admitted into two slots")
	}
	if hint := *s.m.at(hIdleAt); hint != 1501 {
		t.Fatalf("idle hint = %d, want 1501", hint)
	}
	// b's take of a shorter interval makes it idle at once.
	take(t, s, "b", mustRates(t, "5/100ms"), 0)
	if hint := *s.m.at(hIdleAt); hint != 0 {
		t.Fatalf("idle hint = %d after a take that shortened b's window, want 0", hint)
	}
	take(t, s, "d", rates, 1)
	if _, err := s.Take(ctx, "e", rates, 1); err == nil {
		t.Fatal("fifth key admitted into two slots")
	}
	if err := s.Reset(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	// e takes c's slot for 100ms: f gets it once they are over, the hint
	// of d's and c's second notwithstanding.
	take(t, s, "e", mustRates(t, "5/100ms"), 1)
	clock.Set(1102)
	take(t, s, "f", rates, 1)
}

// TestRefundCrashPoints cuts a refund short at each of its crash points,
// as a process killed there would be: before its change is committed (the
// journal's pairs written, or a constant state's scratch copy), the refund
// is wholly absent; once committed (the journal's first word written), the
// next lock holder writes the rest, and the refund is wholly there. A twin
// store that refunds uncut says what the whole refund leaves. The log's
// refunds take units out of an entry older than the newest: some (the
// later totals move) or all (the later entries move too).
func TestRefundCrashPoints(t *testing.T) {
	tests := []struct {
		name    string
		alg     ratelimit.Algorithm
		point   string
		n       int64 // units refunded of the take of 3 at 0
		present bool  // the refund is there after the crash
	}{
		{"log journal, some", ratelimit.SlidingWindowLog, pointJournal, 2, false},
		{"log journal, all", ratelimit.SlidingWindowLog, pointJournal, 3, false},
		{"log replay, some", ratelimit.SlidingWindowLog, pointReplay, 2, true},
		{"log replay, all", ratelimit.SlidingWindowLog, pointReplay, 3, true},
		{"GCRA state", ratelimit.GCRA, pointState, 2, false},
		{"counter state", ratelimit.SlidingWindowCounter, pointState, 2, false},
	}
	rates := mustRates(t, "6/s")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithAlgorithm(tt.alg), WithClock(clock))
			twin := openTest(t, tempPath(t), WithAlgorithm(tt.alg), WithClock(clock))
			var taken ratelimit.Decision
			for _, st := range []*Store{s, twin} {
				clock.Set(0)
				taken = take(t, st, "k", rates, 3)
				clock.Set(5)
				take(t, st, "k", rates, 1)
				take(t, st, "other", rates, 2)
			}
			clock.Set(10)
			before := take(t, s, "k", rates, 0)
			whole, err := twin.Refund(t.Context(), "k", rates, taken, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			cut(t, tt.point, func() { s.Refund(t.Context(), "k", rates, taken, tt.n) })
			want := before
			if tt.present {
				want = whole
			}
			if d := take(t, s, "k", rates, 0); d != want {
				t.Fatalf("Take(0) after the crash = %v, want %v", d, want)
			}
			if tt.present {
				// From here on, the store and its twin agree.
				for _, n := range []int64{1, 6, 1} {
					if d, w := take(t, s, "k", rates, n), take(t, twin, "k", rates, n); d != w {
						t.Fatalf("Take(%d) = %v, the twin's %v", n, d, w)
					}
				}
			}
			if d := take(t, s, "other", rates, 0); d.Remaining != 4 {
				t.Fatalf("another key after the crash: %v, want 4 left", d)
			}
		})
	}
}
