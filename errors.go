package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors, for use with [errors.Is]. Functions wrap them with detail
// that names the offending value.
var (
	// ErrInvalidRate reports a bad rate or rate list: a non-positive limit
	// or interval, an interval that is not whole milliseconds or longer than
	// [MaxInterval], an unreadable rate string, an empty list, or rates that
	// do not strictly increase in interval and limit with non-increasing
	// density.
	ErrInvalidRate = errors.New("ratelimit: invalid rate")
	// ErrInvalidArgument reports any other bad argument, such as a negative
	// weight, a nil store or an option a store cannot honour.
	ErrInvalidArgument = errors.New("ratelimit: invalid argument")
	// ErrExceedsLimit reports a weight larger than the smallest limit: it can
	// never be admitted, so waiting is pointless.
	ErrExceedsLimit = errors.New("ratelimit: weight exceeds limit")
	// ErrWaitTooLong reports that a wait gave up at once because the time it
	// needs would pass the context's deadline or the limiter's maximum wait.
	ErrWaitTooLong = errors.New("ratelimit: wait would exceed deadline")
	// ErrClosed reports use of a limiter or store after Close.
	ErrClosed = errors.New("ratelimit: closed")
)

// LimitError is the error [Limiter.WaitN] returns when it gives up on a
// denial: the key, the weight, the rate that denied it and how long a retry
// would have had to wait. Err is [ErrExceedsLimit] or [ErrWaitTooLong];
// Cause, when not nil, is the context error that bounded the wait.
type LimitError struct {
	Key        string
	Weight     int64
	Rate       Rate
	RetryAfter time.Duration
	Err        error
	Cause      error
}

// Error describes the failure, naming the rate and the wait.
func (e *LimitError) Error() string {
	if errors.Is(e.Err, ErrExceedsLimit) {
		return fmt.Sprintf("%v: weight %d for %q can never fit rate %s", e.Err, e.Weight, e.Key, e.Rate)
	}
	return fmt.Sprintf("%v: weight %d for %q needs %s under rate %s", e.Err, e.Weight, e.Key, e.RetryAfter, e.Rate)
}

// Unwrap returns Err and, when set, Cause.
func (e *LimitError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// errorf wraps sentinel with a formatted detail: "sentinel: detail".
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
