package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors, for use with [errors.Is]. Functions wrap them with detail
// that names the offending value.
var (
	// ErrInvalidRate reports a rate with a non-positive limit or interval, an
	// interval that is not whole milliseconds, or an unreadable rate string.
	ErrInvalidRate = errors.New("ratelimit: invalid rate")
	// ErrInvalidRates reports a rate list that is empty or whose rates do not
	// strictly increase in interval and limit with non-increasing density.
	ErrInvalidRates = errors.New("ratelimit: invalid rate list")
	// ErrInvalidWeight reports a negative weight.
	ErrInvalidWeight = errors.New("ratelimit: invalid weight")
	// ErrInvalidArgument reports any other bad argument, such as a negative
	// peek index or a nil bucket.
	ErrInvalidArgument = errors.New("ratelimit: invalid argument")
	// ErrExceedsLimit reports a weight larger than the smallest limit: it can
	// never be admitted, so waiting is pointless.
	ErrExceedsLimit = errors.New("ratelimit: weight exceeds limit")
	// ErrWaitTooLong reports that a blocking acquire gave up at once because
	// the wait it needs would pass the context's deadline or the limiter's
	// maximum wait.
	ErrWaitTooLong = errors.New("ratelimit: wait would exceed deadline")
	// ErrClosed reports use of a limiter, factory or bucket after Close.
	ErrClosed = errors.New("ratelimit: closed")
	// ErrNoHistory reports a bucket operation that needs the log of units
	// (Peek) on an algorithm that keeps none: GCRA and the sliding-window
	// counter keep a few numbers per rate. It wraps [errors.ErrUnsupported].
	ErrNoHistory = fmt.Errorf("ratelimit: the algorithm keeps no log of units: %w", errors.ErrUnsupported)
	// ErrNoDefault reports use of the package-level functions before
	// [SetDefault] was called.
	ErrNoDefault = errors.New("ratelimit: no default limiter set")
)

// LimitError is the error a blocking acquire returns when it gives up on a
// denial. It carries what PyrateLimiter's exceptions carry: the name, the
// weight, the rate that failed and how long a retry would have had to wait.
// Err is [ErrExceedsLimit] or [ErrWaitTooLong]; Cause, when not nil, is the
// context error that bounded the wait.
type LimitError struct {
	Name       string
	Weight     int64
	Rate       Rate
	RetryAfter time.Duration
	Err        error
	Cause      error
}

// Error describes the failure, naming the rate and the wait.
func (e *LimitError) Error() string {
	if errors.Is(e.Err, ErrExceedsLimit) {
		return fmt.Sprintf("%v: weight %d for %q can never fit rate %s", e.Err, e.Weight, e.Name, e.Rate)
	}
	return fmt.Sprintf("%v: weight %d for %q needs %s under rate %s", e.Err, e.Weight, e.Name, e.RetryAfter, e.Rate)
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

// WeightError returns the error for a put of a negative weight under name:
// it wraps [ErrInvalidWeight] and names both. Every store returns it, so
// that all of them word the failure alike.
func WeightError(name string, weight int64) error {
	return errorf(ErrInvalidWeight, "weight %d for %q is negative", weight, name)
}

// IndexError returns the error for a negative peek index: it wraps
// [ErrInvalidArgument] and names the index. Every store returns it.
func IndexError(i int64) error {
	return errorf(ErrInvalidArgument, "peek index %d is negative", i)
}
