package core

import (
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// TestBlockJudge drives one BlockState through denials and checks the state
// each leaves: counting within the window, blocking, escalating, starting
// over, and Idle.
func TestBlockJudge(t *testing.T) {
	b := ratelimit.Block{For: time.Second, After: 2, Within: 10 * time.Second, Factor: 3, Max: 5 * time.Second}
	denial := ratelimit.Decision{RetryAfter: 100 * time.Millisecond, ResetAfter: time.Second}
	steps := []struct {
		now, n  int64
		allowed bool
		want    BlockState
		retry   time.Duration // the decision's afterwards
	}{
		{now: 0, n: 1, want: BlockState{Denials: 1, Since: 0, Idle: 10_000}, retry: 100 * time.Millisecond},
		{now: 5, n: 0, want: BlockState{Denials: 1, Since: 0, Idle: 10_000}, retry: 100 * time.Millisecond},
		{now: 6, n: 1, allowed: true, want: BlockState{Denials: 1, Since: 0, Idle: 10_000}},
		// The window from 0 has passed: the count starts again at 10_000.
		{now: 10_000, n: 1, want: BlockState{Denials: 1, Since: 10_000, Idle: 20_000}, retry: 100 * time.Millisecond},
		{now: 10_001, n: 1, want: BlockState{Until: 11_001, Level: 1, Since: 10_000, Idle: 12_001}, retry: time.Second},
		// Blocked: nothing counts; the rates' retry is later than the
		// block's end.
		{now: 11_000, n: 1, want: BlockState{Until: 11_001, Level: 1, Since: 10_000, Idle: 12_001}, retry: 100 * time.Millisecond},
		{now: 11_001, n: 1, want: BlockState{Denials: 1, Since: 11_001, Until: 11_001, Level: 1, Idle: 21_001}, retry: 100 * time.Millisecond},
		// Less than 1s after the last block's end: escalated to 3s.
		{now: 11_002, n: 1, want: BlockState{Until: 14_002, Level: 2, Since: 11_001, Idle: 17_002}, retry: 3 * time.Second},
		{now: 14_002, n: 1, want: BlockState{Denials: 1, Since: 14_002, Until: 14_002, Level: 2, Idle: 24_002}, retry: 100 * time.Millisecond},
		// 9s, capped at 5s.
		{now: 14_003, n: 1, want: BlockState{Until: 19_003, Level: 3, Since: 14_002, Idle: 24_003}, retry: 5 * time.Second},
		// More than the last block's length after its end: level 1 again.
		{now: 30_000, n: 1, want: BlockState{Denials: 1, Since: 30_000, Until: 19_003, Level: 3, Idle: 40_000}, retry: 100 * time.Millisecond},
		{now: 30_001, n: 1, want: BlockState{Until: 31_001, Level: 1, Since: 30_000, Idle: 32_001}, retry: time.Second},
	}
	var s BlockState
	for i, st := range steps {
		d := denial
		d.Allowed = st.allowed
		s.Judge(&d, b, st.now, st.n)
		if s != st.want {
			t.Fatalf("step %d (t=%d): state %+v; want %+v", i, st.now, s, st.want)
		}
		if !st.allowed && d.RetryAfter != st.retry {
			t.Fatalf("step %d (t=%d): RetryAfter %v; want %v", i, st.now, d.RetryAfter, st.retry)
		}
	}
}

// TestBlockLength escalates without overflow up to the cap, MaxInterval by
// default.
func TestBlockLength(t *testing.T) {
	maxMs := ratelimit.MaxInterval.Milliseconds()
	for _, c := range []struct {
		b     ratelimit.Block
		level int64
		want  int64
	}{
		{ratelimit.Block{For: time.Second}, 1, 1000},
		{ratelimit.Block{For: time.Second}, 40, 1000},
		{ratelimit.Block{For: time.Second, Factor: 2}, 4, 8000},
		{ratelimit.Block{For: time.Second, Factor: 2}, maxLevel, maxMs},
		{ratelimit.Block{For: ratelimit.MaxInterval, Factor: 1 << 40}, maxLevel, maxMs},
		{ratelimit.Block{For: time.Millisecond, Factor: 1 << 62}, 2, maxMs},
		{ratelimit.Block{For: time.Second, Factor: 10, Max: 25 * time.Second}, 2, 10_000},
		{ratelimit.Block{For: time.Second, Factor: 10, Max: 25 * time.Second}, 3, 25_000},
	} {
		if got := blockLength(c.b, c.level); got != c.want {
			t.Errorf("blockLength(%+v, %d) = %d; want %d", c.b, c.level, got, c.want)
		}
	}
}

// TestBlockNegativeClock: a key never blocked is not blocked at any clock
// reading, the negative ones of a monotonic clock's domain included.
func TestBlockNegativeClock(t *testing.T) {
	var s BlockState
	d := ratelimit.Decision{Allowed: true}
	s.Judge(&d, ratelimit.Block{For: time.Second}, -5_000, 1)
	if !d.Allowed || d.Blocked || s.Blocks(-5_000) {
		t.Fatalf("a key never blocked, at t=-5000: %v, state %+v; want allowed", d, s)
	}
	d = ratelimit.Decision{RetryAfter: time.Millisecond}
	s.Judge(&d, ratelimit.Block{For: time.Second}, -5_000, 1)
	if !s.Blocks(-4_001) || s.Blocks(-4_000) || d.RetryAfter != time.Second {
		t.Fatalf("blocked at t=-5000 for 1s: %v, state %+v; want blocked until -4000", d, s)
	}
}
