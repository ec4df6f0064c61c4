package ratelimittest

import (
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// testWindowEdge: a unit counts while ts >= now - interval, both edges in.
func testWindowEdge(t *testing.T, e *env) {
	rs := rates(t, per(3, time.Second))
	for _, ms := range []int64{0, 300, 600} {
		e.take("a", rs, ms, 1, true)
	}
	e.take("a", rs, 600, 1, false)
	e.take("a", rs, 1000, 1, false) // the unit at 0 is still inside [0, 1000]
	e.take("a", rs, 1001, 1, true)
	e.take("a", rs, 1001, 1, false)
}

// testRetryAfter: the wait to the millisecond, per weight, and the take that
// fits exactly when it ends.
func testRetryAfter(t *testing.T, e *env) {
	rs := rates(t, per(3, time.Second))
	for i, tt := range []struct {
		n    int64
		want time.Duration
	}{
		{1, 401 * time.Millisecond},
		{2, 701 * time.Millisecond},
		{3, 1001 * time.Millisecond},
		{4, ratelimit.Never},
	} {
		// Each key at times of its own, later than the last key's: a
		// store may start a new key's stamps at its latest sweep.
		key, t0 := string(rune('a'+i)), int64(i)*2000
		for _, ms := range []int64{0, 300, 600} {
			e.take(key, rs, t0+ms, 1, true)
		}
		if d := e.take(key, rs, t0+600, tt.n, false); d.RetryAfter != tt.want {
			t.Fatalf("n=%d: RetryAfter = %v, want %v", tt.n, d.RetryAfter, tt.want)
		}
		if tt.want == ratelimit.Never {
			continue
		}
		at := t0 + 600 + tt.want.Milliseconds()
		e.take(key, rs, at-1, tt.n, false)
		e.take(key, rs, at, tt.n, true)
	}
}

// testMultiRate: the first denying rate is reported, the wait satisfies all.
func testMultiRate(t *testing.T, e *env) {
	short, long := per(3, time.Second), per(5, 5*time.Second)
	rs := rates(t, short, long)
	for range 3 {
		e.take("a", rs, 0, 1, true)
	}
	if d := e.take("a", rs, 0, 1, false); d.Rate != short || d.RetryAfter != 1001*time.Millisecond || d.Remaining != 0 {
		t.Fatalf("short rate full: %v; want denied by %v, 0 left, retry in 1.001s", d, short)
	}
	e.take("a", rs, 1001, 1, true)
	e.take("a", rs, 1001, 1, true)
	// The short rate has room (2 of 3 used): the long one denies. Its bound
	// is the 4th newest unit, at 0.
	if d := e.take("a", rs, 1001, 1, false); d.Rate != long || d.RetryAfter != 4000*time.Millisecond {
		t.Fatalf("long rate full: %v; want denied by %v, retry in 4s", d, long)
	}

	// Both full: the shortest denying rate is reported, and the wait is the
	// longest: 501ms for the short rate alone, 2501ms for the long one.
	// Each key at times of its own, later than the last key's: a store may
	// start a new key's stamps at its latest sweep.
	const b, c = 10_000, 20_000
	for _, ms := range []int64{0, 0, 2000, 2000, 2500} {
		e.take("b", rs, b+ms, 1, true)
	}
	if d := e.take("b", rs, b+2500, 2, false); d.Rate != short || d.RetryAfter != 2501*time.Millisecond {
		t.Fatalf("both full: %v; want denied by %v, retry in 2.501s", d, short)
	}
	e.take("b", rs, b+5000, 2, false)
	e.take("b", rs, b+5001, 2, true)

	// An allowed take reports the tightest rate and what it has left.
	if d := e.take("c", rs, c, 2, true); d.Rate != short || d.Remaining != 1 || d.ResetAfter != 1001*time.Millisecond {
		t.Fatalf("allowed: %v; want by %v, 1 left, reset in 1.001s", d, short)
	}
}

// testWeights: all or nothing, an exact fill fits, n=0 stores nothing.
func testWeights(t *testing.T, e *env) {
	r := per(20, time.Second)
	rs := rates(t, r)
	e.take("a", rs, 0, 1, true)
	e.take("a", rs, 0, 10, true)
	if d := e.take("a", rs, 0, 20, false); d.Remaining != 9 || d.Rate != r {
		t.Fatalf("partial denial: %v; want 9 left of %v", d, r)
	}
	e.take("a", rs, 0, 9, true) // nothing of the denied 20 was kept
	e.take("a", rs, 0, 1, false)
	if d := e.take("a", rs, 0, 0, true); d.Remaining != 0 {
		t.Fatalf("n=0 on a full key: %v; want 0 left", d)
	}
	if d := e.take("a", rs, 5000, 21, false); d.RetryAfter != ratelimit.Never {
		t.Fatalf("n above the limit: %v; want retry never", d)
	}
	e.take("a", rs, 5000, 20, true)
}
