package ratelimit_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// TestMaxIntervalDecisions checks that at the longest interval a rate may
// have, every algorithm reports retry and reset times that are positive and
// within twice the interval: nothing overflows a time.Duration.
func TestMaxIntervalDecisions(t *testing.T) {
	r := ratelimit.Per(2, ratelimit.MaxInterval)
	rs, err := ratelimit.NewRates(r)
	if err != nil {
		t.Fatalf("NewRates(%v): %v", r, err)
	}
	interval := r.IntervalMillis()
	bound := 2*ratelimit.MaxInterval + time.Millisecond
	check := func(t *testing.T, d ratelimit.Decision, allowed bool) {
		t.Helper()
		if d.Allowed != allowed {
			t.Fatalf("Allowed = %v, want %v: %+v", d.Allowed, allowed, d)
		}
		if d.ResetAfter <= 0 || d.ResetAfter > bound {
			t.Errorf("ResetAfter = %v, want in (0, %v]: %+v", d.ResetAfter, bound, d)
		}
		if !allowed && (d.RetryAfter <= 0 || d.RetryAfter > bound) {
			t.Errorf("RetryAfter = %v, want in (0, %v]: %+v", d.RetryAfter, bound, d)
		}
	}
	// Take the limit at the start, the middle and the end of a counter
	// window, where the counter's waits are longest.
	const epoch = 1_800_000_000_000 // a wall clock in ms, 2027
	for _, at := range []int64{epoch - epoch%interval, epoch - epoch%interval + interval/2, epoch - epoch%interval + interval - 1} {
		t.Run("log", func(t *testing.T) {
			log := newRefLog()
			for range 2 {
				d := decide(rs, log, at, 1)
				check(t, d, true)
				log.Insert("", at, 1)
			}
			check(t, decide(rs, log, at, 1), false)
			check(t, decide(rs, log, at+interval-1, 2), false)
		})
		for name, m := range newModels(t, r) {
			t.Run(name, func(t *testing.T) {
				check(t, m.decide(at, 1), true)
				check(t, m.decide(at, 1), true)
				check(t, m.decide(at, 1), false)
				check(t, m.decide(at+interval-1, 2), false)
			})
		}
	}
}

// TestMaxIntervalValidate checks the bound itself: MaxInterval is valid, and
// a millisecond more is refused, by Validate and ParseRate alike, with the
// bound in the message.
func TestMaxIntervalValidate(t *testing.T) {
	if err := ratelimit.Per(1, ratelimit.MaxInterval).Validate(); err != nil {
		t.Fatalf("Per(1, MaxInterval).Validate() = %v", err)
	}
	for _, d := range []time.Duration{ratelimit.MaxInterval + time.Millisecond, 60_000 * 24 * time.Hour, 106751 * 24 * time.Hour} {
		err := ratelimit.Per(1, d).Validate()
		wantErrIs(t, err, ratelimit.ErrInvalidRate, "36500d")
	}
	for _, s := range []string{"1/106751d", "1/60000d", "1/36501d", "1/9223372036854ms"} {
		_, err := ratelimit.ParseRate(s)
		wantErrIs(t, err, ratelimit.ErrInvalidRate, "36500d", s)
	}
}

// TestWaitNHugeBuffer checks that a buffer near the largest Duration does
// not overflow the wait: the wait still ends before the deadline, once.
func TestWaitNHugeBuffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{ratelimit.PerSecond(1)}, ratelimit.WithBuffer(ratelimit.Never))
		allow(t, l, "a", 1, true)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		t.Cleanup(cancel)
		if got := wait(t, l, ctx, "a", 1); got < 1001*time.Millisecond || got >= 2*time.Second {
			t.Errorf("WaitN took %v, want 1.001s to 2s", got)
		}
	})
}
