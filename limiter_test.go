package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// The limiter tests run inside synctest bubbles: the memory store's default
// MonotonicClock reads time.Now, which is the bubble's fake clock, so waits
// take no real time and elapsed times are exact.

// advance moves a bubble's fake clock forward by d and waits for every
// goroutine of the bubble to block again.
func advance(d time.Duration) {
	<-time.After(d)
	synctest.Wait()
}

// newLimiter returns a limiter over a new memory store enforcing rates.
func newLimiter(t *testing.T, rates []ratelimit.Rate, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	s, err := memorystore.New()
	if err != nil {
		t.Fatalf("memorystore.New: %v", err)
	}
	l, err := ratelimit.New(s, append([]ratelimit.Option{ratelimit.Rates(rates)}, opts...)...)
	if err != nil {
		t.Fatalf("ratelimit.New(%v): %v", rates, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// allow calls AllowN and fails t on an error or an unexpected decision.
func allow(t *testing.T, l *ratelimit.Limiter, name string, n int64, want bool) ratelimit.Decision {
	t.Helper()
	d, err := l.AllowN(t.Context(), name, n)
	if err != nil {
		t.Fatalf("AllowN(%q, %d): %v", name, n, err)
	}
	if d.Allowed != want {
		t.Fatalf("AllowN(%q, %d).Allowed = %v, want %v (%+v)", name, n, d.Allowed, want, d)
	}
	return d
}

// wait calls WaitN, fails t on an error, and returns how much fake time the
// call took.
func wait(t *testing.T, l *ratelimit.Limiter, ctx context.Context, name string, n int64) time.Duration {
	t.Helper()
	start := time.Now()
	d, err := l.WaitN(ctx, name, n)
	if err != nil {
		t.Fatalf("WaitN(%q, %d): %v", name, n, err)
	}
	if !d.Allowed {
		t.Fatalf("WaitN(%q, %d) returned a denial without an error: %+v", name, n, d)
	}
	return time.Since(start)
}

func TestLimiterAllowN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{per(2, time.Second)})
		if d := allow(t, l, "a", 1, true); d.Remaining != 1 {
			t.Errorf("first Remaining = %d, want 1", d.Remaining)
		}
		if d := allow(t, l, "a", 1, true); d.Remaining != 0 {
			t.Errorf("second Remaining = %d, want 0", d.Remaining)
		}
		d := allow(t, l, "a", 1, false)
		if d.RetryAfter != 1001*time.Millisecond || d.Rate != per(2, time.Second) {
			t.Errorf("denial = %+v, want RetryAfter 1.001s on 2/s", d)
		}
		// Weight 0 is always allowed; Allow is AllowN(1).
		allow(t, l, "a", 0, true)
		if d, err := l.Allow(t.Context(), "a"); err != nil || d.Allowed {
			t.Errorf("Allow = %+v, %v; want a denial", d, err)
		}
		advance(time.Second)
		allow(t, l, "a", 1, false) // the window's lower edge is inclusive
		advance(time.Millisecond)
		allow(t, l, "a", 2, true)
	})
}

func TestLimiterNegativeWeight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{ratelimit.PerSecond(2)})
		calls := []struct {
			name string
			call func() (ratelimit.Decision, error)
		}{
			{"AllowN", func() (ratelimit.Decision, error) { return l.AllowN(t.Context(), "", -1) }},
			{"WaitN", func() (ratelimit.Decision, error) { return l.WaitN(t.Context(), "", -1) }},
		}
		for _, c := range calls {
			d, err := c.call()
			if !errors.Is(err, ratelimit.ErrInvalidArgument) {
				t.Errorf("%s(-1) = %+v, %v; want ErrInvalidArgument", c.name, d, err)
				continue
			}
			wantErrIs(t, err, ratelimit.ErrInvalidArgument, "-1")
		}
		// Nothing was stored.
		allow(t, l, "", 2, true)
	})
}

func TestLimiterWaitNExact(t *testing.T) {
	tests := []struct {
		name   string
		opts   []ratelimit.Option
		second time.Duration // how long the second WaitN waits
	}{
		{"default buffer", nil, 1001*time.Millisecond + 50*time.Millisecond},
		{"buffer 50ms", []ratelimit.Option{ratelimit.WithBuffer(50 * time.Millisecond)}, 1001*time.Millisecond + 50*time.Millisecond},
		{"no buffer", []ratelimit.Option{ratelimit.WithBuffer(0)}, 1001 * time.Millisecond},
		{"buffer 200ms", []ratelimit.Option{ratelimit.WithBuffer(200 * time.Millisecond)}, 1201 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newLimiter(t, []ratelimit.Rate{per(1, time.Second)}, tt.opts...)
				if got := wait(t, l, t.Context(), "a", 1); got != 0 {
					t.Errorf("first WaitN took %v, want 0", got)
				}
				if got := wait(t, l, t.Context(), "a", 1); got != tt.second {
					t.Errorf("second WaitN took %v, want %v", got, tt.second)
				}
				if got := wait(t, l, t.Context(), "a", 0); got != 0 {
					t.Errorf("WaitN of weight 0 took %v, want 0", got)
				}
				if _, err := l.Wait(t.Context(), "a"); err != nil {
					t.Errorf("Wait: %v", err)
				}
			})
		})
	}
}

func TestLimiterWaitNExceedsLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rate := per(3, time.Second)
		l := newLimiter(t, []ratelimit.Rate{rate, ratelimit.PerMinute(10)})
		start := time.Now()
		d, err := l.WaitN(t.Context(), "a", 4)
		if elapsed := time.Since(start); elapsed != 0 {
			t.Errorf("WaitN took %v, want 0", elapsed)
		}
		var le *ratelimit.LimitError
		if !errors.As(err, &le) {
			t.Fatalf("WaitN(4) error = %v, want a *LimitError", err)
		}
		if !errors.Is(err, ratelimit.ErrExceedsLimit) || errors.Is(err, ratelimit.ErrWaitTooLong) {
			t.Errorf("error %v: want ErrExceedsLimit only", err)
		}
		want := ratelimit.LimitError{Key: "a", Weight: 4, Rate: rate, RetryAfter: ratelimit.Never, Err: ratelimit.ErrExceedsLimit}
		if *le != want {
			t.Errorf("LimitError = %+v, want %+v", *le, want)
		}
		if d.Allowed || d.RetryAfter != ratelimit.Never {
			t.Errorf("decision = %+v, want the denial with RetryAfter Never", d)
		}
		allow(t, l, "a", 3, true) // nothing was stored
	})
}

func TestLimiterWaitNDeadline(t *testing.T) {
	tests := []struct {
		name         string
		opts         []ratelimit.Option
		timeout      time.Duration // 0: no context deadline
		wantDeadline bool          // the error wraps context.DeadlineExceeded
	}{
		{"context deadline", nil, 500 * time.Millisecond, true},
		{"max wait", []ratelimit.Option{ratelimit.WithMaxWait(500 * time.Millisecond)}, 0, false},
		{"max wait shorter than deadline", []ratelimit.Option{ratelimit.WithMaxWait(500 * time.Millisecond)}, time.Hour, false},
		{"deadline shorter than max wait", []ratelimit.Option{ratelimit.WithMaxWait(time.Hour)}, 500 * time.Millisecond, true},
		{"just short", nil, 1000 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rate := per(1, time.Second)
				l := newLimiter(t, []ratelimit.Rate{rate}, tt.opts...)
				allow(t, l, "a", 1, true)
				ctx := t.Context()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					t.Cleanup(cancel)
				}
				start := time.Now()
				d, err := l.WaitN(ctx, "a", 1)
				if elapsed := time.Since(start); elapsed != 0 {
					t.Errorf("WaitN took %v, want to fail at once", elapsed)
				}
				var le *ratelimit.LimitError
				if !errors.As(err, &le) || !errors.Is(err, ratelimit.ErrWaitTooLong) {
					t.Fatalf("WaitN error = %v, want a *LimitError wrapping ErrWaitTooLong", err)
				}
				if got := errors.Is(err, context.DeadlineExceeded); got != tt.wantDeadline {
					t.Errorf("errors.Is(%v, context.DeadlineExceeded) = %v, want %v", err, got, tt.wantDeadline)
				}
				if le.Key != "a" || le.Weight != 1 || le.Rate != rate || le.RetryAfter != 1001*time.Millisecond {
					t.Errorf("LimitError = %+v, want name a, weight 1, rate %v, retry-after 1.001s", *le, rate)
				}
				if d.Allowed || d.RetryAfter != 1001*time.Millisecond {
					t.Errorf("decision = %+v, want the denial", d)
				}
			})
		})
	}
}

// TestLimiterWaitNDeadlineFits checks that a wait that fits before the
// deadline is waited out and succeeds, even when the buffer does not fit.
func TestLimiterWaitNDeadlineFits(t *testing.T) {
	tests := []struct {
		name    string
		opts    []ratelimit.Option
		timeout time.Duration // 0: no context deadline
	}{
		{"deadline after retry and buffer", nil, 2 * time.Second},
		{"max wait after retry and buffer", []ratelimit.Option{ratelimit.WithMaxWait(2 * time.Second)}, 0},
		{"max wait between retry and buffer", []ratelimit.Option{ratelimit.WithMaxWait(1020 * time.Millisecond)}, 0},
		{"deadline between retry and buffer", nil, 1020 * time.Millisecond},
		{"deadline at retry", nil, 1001 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Repeat: when the timer and the deadline fire together, which
			// one a select sees first varies from run to run.
			for range 20 {
				synctest.Test(t, func(t *testing.T) {
					l := newLimiter(t, []ratelimit.Rate{per(1, time.Second)}, tt.opts...)
					allow(t, l, "a", 1, true)
					ctx := t.Context()
					if tt.timeout > 0 {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, tt.timeout)
						t.Cleanup(cancel)
					}
					if got := wait(t, l, ctx, "a", 1); got < 1001*time.Millisecond || got > 1051*time.Millisecond {
						t.Errorf("WaitN took %v, want 1.001s to 1.051s", got)
					}
				})
				if t.Failed() {
					return
				}
			}
		})
	}
}

func TestLimiterWaitNCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{per(1, time.Minute)})
		allow(t, l, "a", 1, true)
		ctx, cancel := context.WithCancel(t.Context())
		t.Cleanup(cancel)
		type result struct {
			d   ratelimit.Decision
			err error
		}
		done := make(chan result, 1)
		go func() {
			d, err := l.WaitN(ctx, "a", 1)
			done <- result{d, err}
		}()
		advance(10 * time.Second)
		select {
		case r := <-done:
			t.Fatalf("WaitN returned before the cancel: %+v, %v", r.d, r.err)
		default:
		}
		cancel()
		synctest.Wait()
		start := time.Now()
		r := <-done
		if elapsed := time.Since(start); elapsed != 0 {
			t.Errorf("WaitN returned %v after the cancel, want at once", elapsed)
		}
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("WaitN error = %v, want context.Canceled", r.err)
		}
		if r.d.Allowed {
			t.Errorf("decision = %+v, want the denial", r.d)
		}
	})
}

func TestLimiterWaitNCanceledCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{per(1, time.Minute)})
		allow(t, l, "a", 1, true)
		cause := errors.New("shutting down")
		ctx, cancel := context.WithCancelCause(t.Context())
		t.Cleanup(func() { cancel(nil) })
		done := make(chan error, 1)
		go func() {
			_, err := l.WaitN(ctx, "a", 1)
			done <- err
		}()
		synctest.Wait()
		cancel(cause)
		if err := <-done; !errors.Is(err, cause) {
			t.Errorf("WaitN error = %v, want the cancel cause %v", err, cause)
		}
	})
}

func TestLimiterKeysDoNotBlockEachOther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{per(1, time.Second)})
		start := time.Now()
		allow(t, l, "A", 1, true)
		var wg sync.WaitGroup
		var aTook time.Duration
		var aErr error
		wg.Go(func() {
			var d ratelimit.Decision
			d, aErr = l.WaitN(t.Context(), "A", 1)
			if aErr == nil && !d.Allowed {
				aErr = errors.New("WaitN on A returned a denial without an error")
			}
			aTook = time.Since(start)
		})
		synctest.Wait() // A is blocked in WaitN

		allow(t, l, "B", 1, true)
		allow(t, l, "C", 1, true)
		if got := wait(t, l, t.Context(), "D", 1); got != 0 {
			t.Errorf("WaitN on D took %v while A waits, want 0", got)
		}
		if elapsed := time.Since(start); elapsed != 0 {
			t.Errorf("other keys took %v while A waits, want 0", elapsed)
		}
		wg.Wait()
		if aErr != nil {
			t.Fatalf("WaitN on A: %v", aErr)
		}
		if aTook != 1051*time.Millisecond {
			t.Errorf("WaitN on A took %v, want 1.051s", aTook)
		}
	})
}

func TestLimiterWaitNMultiRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{per(1, time.Second), per(3, 5*time.Second)})
		start := time.Now()
		for i := range 3 {
			wait(t, l, t.Context(), "a", 1)
			if i == 0 {
				allow(t, l, "a", 1, false)
			}
		}
		if elapsed := time.Since(start); elapsed != 2*1051*time.Millisecond {
			t.Errorf("three WaitN took %v, want 2.102s (two 1/s waits)", elapsed)
		}
		fourth := wait(t, l, t.Context(), "a", 1)
		if fourth < 2*time.Second {
			t.Errorf("fourth WaitN took %v, want at least 2s", fourth)
		}
		// One wait satisfies both rates: the unit at 0 leaves the 5s window
		// at 5.001s, plus the 50ms buffer.
		if fourth != 2949*time.Millisecond {
			t.Errorf("fourth WaitN took %v, want exactly 2.949s", fourth)
		}
	})
}

func TestLimiterNilArguments(t *testing.T) {
	if l, err := ratelimit.New(nil); !errors.Is(err, ratelimit.ErrInvalidArgument) || l != nil {
		t.Errorf("New(nil) = %v, %v; want nil, ErrInvalidArgument", l, err)
	}
}

func TestLimiterBadOptions(t *testing.T) {
	s, _ := memorystore.New()
	tests := []struct {
		name    string
		opts    []ratelimit.Option
		target  error
		mention string
	}{
		{"negative buffer", []ratelimit.Option{ratelimit.PerSecond(1), ratelimit.WithBuffer(-time.Millisecond)}, ratelimit.ErrInvalidArgument, "-1ms"},
		{"negative max wait", []ratelimit.Option{ratelimit.PerSecond(1), ratelimit.WithMaxWait(-time.Second)}, ratelimit.ErrInvalidArgument, "-1s"},
		{"nil option", []ratelimit.Option{ratelimit.PerSecond(1), nil}, ratelimit.ErrInvalidArgument, "nil"},
		{"no rates", nil, ratelimit.ErrInvalidRate, "no rates"},
		{"bad rate", []ratelimit.Option{ratelimit.PerSecond(0)}, ratelimit.ErrInvalidRate, "0/s"},
		{"bad pair", []ratelimit.Option{ratelimit.PerSecond(10), ratelimit.PerMinute(5)}, ratelimit.ErrInvalidRate, "5/min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ratelimit.New(s, tt.opts...)
			if l != nil {
				t.Errorf("New returned a limiter with its error")
			}
			wantErrIs(t, err, tt.target, tt.mention)
		})
	}
}

func TestLimiterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{ratelimit.PerSecond(1)})
		allow(t, l, "a", 1, true)
		for i := range 3 {
			if err := l.Close(); err != nil {
				t.Errorf("Close #%d: %v", i+1, err)
			}
		}
		if _, err := l.AllowN(t.Context(), "a", 1); !errors.Is(err, ratelimit.ErrClosed) {
			t.Errorf("AllowN after Close: %v, want ErrClosed", err)
		}
		if _, err := l.WaitN(t.Context(), "b", 1); !errors.Is(err, ratelimit.ErrClosed) {
			t.Errorf("WaitN after Close: %v, want ErrClosed", err)
		}
		if err := l.Reset(t.Context(), "a"); !errors.Is(err, ratelimit.ErrClosed) {
			t.Errorf("Reset after Close: %v, want ErrClosed", err)
		}
		synctest.Wait()
		// The bubble ends only if Close left no goroutine behind.
	})
}

// TestLimiterCloseWakesWaiters checks that Close ends every wait at once
// with ErrClosed, however long the waits had to go, and leaves no goroutine
// behind.
func TestLimiterCloseWakesWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{per(1, 8*time.Second)})
		allow(t, l, "a", 1, true)
		const waiters = 100
		errs := make(chan error, waiters)
		for range waiters {
			go func() {
				_, err := l.WaitN(t.Context(), "a", 1)
				errs <- err
			}()
		}
		synctest.Wait() // every waiter is asleep on its timer
		if len(errs) != 0 {
			t.Fatalf("%d waiters returned before Close: %v", len(errs), <-errs)
		}
		start := time.Now()
		if err := l.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		synctest.Wait()
		if got := time.Since(start); got != 0 {
			t.Errorf("waiters returned %v after Close, want at once", got)
		}
		if len(errs) != waiters {
			t.Fatalf("%d of %d waiters returned after Close", len(errs), waiters)
		}
		for range waiters {
			if err := <-errs; !errors.Is(err, ratelimit.ErrClosed) {
				t.Errorf("WaitN after Close: %v, want ErrClosed", err)
			}
		}
	})
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
