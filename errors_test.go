package ratelimit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

func TestLimitErrorError(t *testing.T) {
	tests := []struct {
		name string
		err  *ratelimit.LimitError
		want []string
	}{
		{
			"exceeds limit",
			&ratelimit.LimitError{Key: "api", Weight: 5, Rate: ratelimit.PerSecond(3), RetryAfter: ratelimit.Never, Err: ratelimit.ErrExceedsLimit},
			[]string{ratelimit.ErrExceedsLimit.Error(), `"api"`, "weight 5", "3/s"},
		},
		{
			"wait too long",
			&ratelimit.LimitError{Key: "jobs", Weight: 2, Rate: ratelimit.PerMinute(100), RetryAfter: 1500 * time.Millisecond, Err: ratelimit.ErrWaitTooLong, Cause: context.DeadlineExceeded},
			[]string{ratelimit.ErrWaitTooLong.Error(), `"jobs"`, "weight 2", "100/min", "1.5s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Error() = %q, want it to mention %q", msg, w)
				}
			}
		})
	}
}

func TestLimitErrorUnwrap(t *testing.T) {
	cause := errors.New("custom cause")
	tests := []struct {
		name    string
		err     *ratelimit.LimitError
		is      []error
		isNot   []error
		unwraps int
	}{
		{
			"without cause",
			&ratelimit.LimitError{Key: "a", Weight: 1, Rate: ratelimit.PerSecond(1), Err: ratelimit.ErrWaitTooLong},
			[]error{ratelimit.ErrWaitTooLong},
			[]error{ratelimit.ErrExceedsLimit, context.DeadlineExceeded, context.Canceled},
			1,
		},
		{
			"with deadline cause",
			&ratelimit.LimitError{Key: "a", Weight: 1, Rate: ratelimit.PerSecond(1), Err: ratelimit.ErrWaitTooLong, Cause: context.DeadlineExceeded},
			[]error{ratelimit.ErrWaitTooLong, context.DeadlineExceeded},
			[]error{ratelimit.ErrExceedsLimit, context.Canceled},
			2,
		},
		{
			"with custom cause",
			&ratelimit.LimitError{Key: "a", Weight: 1, Rate: ratelimit.PerSecond(1), Err: ratelimit.ErrWaitTooLong, Cause: cause},
			[]error{ratelimit.ErrWaitTooLong, cause},
			[]error{context.DeadlineExceeded},
			2,
		},
		{
			"exceeds limit",
			&ratelimit.LimitError{Key: "a", Weight: 9, Rate: ratelimit.PerSecond(1), RetryAfter: ratelimit.Never, Err: ratelimit.ErrExceedsLimit},
			[]error{ratelimit.ErrExceedsLimit},
			[]error{ratelimit.ErrWaitTooLong},
			1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(tt.err.Unwrap()); got != tt.unwraps {
				t.Errorf("Unwrap() has %d errors, want %d", got, tt.unwraps)
			}
			// Through a wrapping layer too, as callers see it.
			for _, err := range []error{tt.err, errorsJoinWrap(tt.err)} {
				for _, target := range tt.is {
					if !errors.Is(err, target) {
						t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
					}
				}
				for _, target := range tt.isNot {
					if errors.Is(err, target) {
						t.Errorf("errors.Is(%v, %v) = true, want false", err, target)
					}
				}
				var le *ratelimit.LimitError
				if !errors.As(err, &le) || le != tt.err {
					t.Errorf("errors.As(%v) did not find the *LimitError", err)
				}
			}
		})
	}
}

func errorsJoinWrap(err error) error { return errors.Join(errors.New("outer"), err) }

func TestSentinelErrorsDistinct(t *testing.T) {
	sentinels := []error{
		ratelimit.ErrInvalidRate, ratelimit.ErrInvalidArgument, ratelimit.ErrExceedsLimit, ratelimit.ErrWaitTooLong,
		ratelimit.ErrClosed,
	}
	for i, a := range sentinels {
		if !strings.HasPrefix(a.Error(), "ratelimit: ") {
			t.Errorf("%q lacks the package prefix", a)
		}
		for j, b := range sentinels {
			if i != j && errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = true, want distinct sentinels", a, b)
			}
		}
	}
}
