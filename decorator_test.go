package ratelimit_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorate/ratelimit"
)

func TestWrap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{per(1, time.Second)})
		var calls atomic.Int32
		var ranAt []time.Duration
		start := time.Now()
		fn := ratelimit.Wrap(l, "job", 1, func(ctx context.Context) error {
			// fn runs only after the unit is admitted: it is in the bucket.
			if d, err := l.AllowN(ctx, "job", 1); err != nil || d.Allowed {
				t.Errorf("inside fn: AllowN = %+v, %v; want a denial (the acquire happened first)", d, err)
			}
			calls.Add(1)
			ranAt = append(ranAt, time.Since(start))
			return nil
		})
		for range 2 {
			if err := fn(t.Context()); err != nil {
				t.Fatalf("wrapped fn: %v", err)
			}
		}
		if n := calls.Load(); n != 2 {
			t.Fatalf("fn ran %d times, want 2", n)
		}
		if want := 1051 * time.Millisecond; ranAt[0] != 0 || ranAt[1] != want {
			t.Errorf("fn ran at %v, want [0s %v] (the second after the wait)", ranAt, want)
		}
	})
}

func TestWrapReturnsFnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{ratelimit.PerSecond(5)})
		want := errors.New("fn failed")
		fn := ratelimit.Wrap(l, "job", 1, func(context.Context) error { return want })
		if err := fn(t.Context()); !errors.Is(err, want) {
			t.Errorf("wrapped fn = %v, want %v", err, want)
		}
	})
}

func TestWrapDenied(t *testing.T) {
	tests := []struct {
		name   string
		weight int64
		ctx    func(t *testing.T) context.Context
		check  func(t *testing.T, err error)
	}{
		{"weight above limit", 4, func(t *testing.T) context.Context { return t.Context() }, func(t *testing.T, err error) {
			var le *ratelimit.LimitError
			if !errors.As(err, &le) || !errors.Is(err, ratelimit.ErrExceedsLimit) || le.Weight != 4 || le.Key != "job" {
				t.Errorf("error = %v, want a *LimitError for weight 4 of job wrapping ErrExceedsLimit", err)
			}
		}},
		{"negative weight", -1, func(t *testing.T) context.Context { return t.Context() }, func(t *testing.T, err error) {
			if !errors.Is(err, ratelimit.ErrInvalidArgument) {
				t.Errorf("error = %v, want ErrInvalidArgument", err)
			}
		}},
		{"deadline too short", 3, func(t *testing.T) context.Context {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, func(t *testing.T, err error) {
			if !errors.Is(err, ratelimit.ErrWaitTooLong) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v, want ErrWaitTooLong and DeadlineExceeded", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newLimiter(t, []ratelimit.Rate{ratelimit.PerSecond(3)})
				allow(t, l, "job", 1, true) // so that weight 3 must wait
				var calls atomic.Int32
				fn := ratelimit.Wrap(l, "job", tt.weight, func(context.Context) error {
					calls.Add(1)
					return nil
				})
				tt.check(t, fn(tt.ctx(t)))
				if n := calls.Load(); n != 0 {
					t.Errorf("fn ran %d times after a denied acquire, want 0", n)
				}
			})
		})
	}
}

func TestWrapValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{ratelimit.PerSecond(3)})
		var calls atomic.Int32
		fn := func(w int64) func(context.Context) (string, error) {
			return ratelimit.WrapValue(l, "job", w, func(context.Context) (string, error) {
				calls.Add(1)
				return "result", nil
			})
		}
		got, err := fn(1)(t.Context())
		if err != nil || got != "result" {
			t.Errorf("WrapValue fn = %q, %v; want \"result\", nil", got, err)
		}
		got, err = fn(4)(t.Context())
		var le *ratelimit.LimitError
		if !errors.As(err, &le) || !errors.Is(err, ratelimit.ErrExceedsLimit) {
			t.Errorf("WrapValue fn of weight 4: error %v, want a *LimitError wrapping ErrExceedsLimit", err)
		}
		if got != "" {
			t.Errorf("WrapValue fn of weight 4 = %q, want the zero value", got)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("fn ran %d times, want 1", n)
		}

		// Pointer results are nil on denial.
		ptr := ratelimit.WrapValue(l, "job", 9, func(context.Context) (*int, error) {
			calls.Add(1)
			v := 1
			return &v, nil
		})
		if p, err := ptr(t.Context()); p != nil || err == nil {
			t.Errorf("denied WrapValue = %v, %v; want nil and an error", p, err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("fn ran %d times, want 1", n)
		}
	})
}

func TestWrapContextCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, []ratelimit.Rate{per(1, time.Minute)})
		allow(t, l, "job", 1, true)
		var calls atomic.Int32
		wrapped := ratelimit.Wrap(l, "job", 1, func(context.Context) error { calls.Add(1); return nil })
		wrappedValue := ratelimit.WrapValue(l, "job", 1, func(context.Context) (int, error) { calls.Add(1); return 7, nil })

		ctx, cancel := context.WithCancel(t.Context())
		t.Cleanup(cancel)
		errs := make(chan error, 2)
		go func() { errs <- wrapped(ctx) }()
		go func() {
			v, err := wrappedValue(ctx)
			if err != nil && v != 0 {
				err = errors.New("WrapValue returned a value with its error")
			}
			errs <- err
		}()
		synctest.Wait() // both wait for the unit
		cancel()
		for range 2 {
			if err := <-errs; !errors.Is(err, context.Canceled) {
				t.Errorf("wrapped fn = %v, want context.Canceled", err)
			}
		}
		if n := calls.Load(); n != 0 {
			t.Errorf("fn ran %d times after a cancelled acquire, want 0", n)
		}

		// An already cancelled context: the acquire is denied and waits
		// for nothing.
		start := time.Now()
		if err := wrapped(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("wrapped fn with a done context = %v, want context.Canceled", err)
		}
		if elapsed := time.Since(start); elapsed != 0 {
			t.Errorf("wrapped fn with a done context took %v, want 0", elapsed)
		}
	})
}
