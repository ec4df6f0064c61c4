package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Limiter admits or delays work under names, each routed by a [Factory] to a
// bucket that enforces a list of rates.
//
// AllowN is the non-blocking acquire: it returns a [Decision] at once. WaitN is
// the blocking acquire: it waits, holding no lock, until the work is admitted,
// the context is done, or the limiter's maximum wait would be passed; it fails
// at once when the wait it needs cannot fit. A denial is a Decision, not an
// error; errors are for bad input, store failures and given-up waits.
//
// A Limiter is safe for concurrent use; a wait on one name never delays
// another. Use [New] or [NewBucketLimiter]; the zero value is not usable.
// Close releases the factory, its buckets and any leaker the limiter started.
type Limiter struct {
	factory Factory
	leaker  *Leaker
	cfg     config

	closeOnce sync.Once
	closeErr  error
	closed    chan struct{} // closed by Close: wakes every WaitN
}

// New returns a Limiter over f. It owns f: Close closes it. The error wraps
// [ErrInvalidArgument] for a nil factory or a bad option.
func New(f Factory, opts ...Option) (*Limiter, error) {
	if f == nil {
		return nil, errorf(ErrInvalidArgument, "factory is nil")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Limiter{factory: f, cfg: cfg, closed: make(chan struct{})}, nil
}

// NewBucketLimiter returns a Limiter that routes every name to b (PyrateLimiter
// Limiter(bucket)) and, unless [WithLeakInterval] is 0, leaks b in the
// background. It owns b: Close stops the leaker and closes b.
func NewBucketLimiter(b Bucket, opts ...Option) (*Limiter, error) {
	if b == nil {
		return nil, errorf(ErrInvalidArgument, "bucket is nil")
	}
	l, err := New(Single(b), opts...)
	if err != nil {
		return nil, err
	}
	if l.cfg.leakInterval > 0 {
		onError := func(_ Leakable, err error) { l.cfg.onLeakError(b, err) }
		if l.leaker, err = NewLeaker(l.cfg.leakInterval, onError); err == nil {
			err = l.leaker.Register(b)
		}
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Allow is shorthand for AllowN(ctx, name, 1).
func (l *Limiter) Allow(ctx context.Context, name string) (Decision, error) {
	return l.AllowN(ctx, name, 1)
}

// AllowN tries to admit n units under name now, without waiting. An empty
// name means the limiter's default name ([WithName]). Weight 0 is always
// allowed and stores nothing; a negative n is an error wrapping
// [ErrInvalidWeight]. A weight above the smallest limit is denied with
// RetryAfter [Never].
func (l *Limiter) AllowN(ctx context.Context, name string, n int64) (Decision, error) {
	if n < 0 || name == "" {
		return l.allowOther(ctx, name, n)
	}
	return l.factory.Acquire(ctx, name, n)
}

// allowOther is AllowN's path for a default name or a bad weight, kept out
// of AllowN so that the common path stays small.
func (l *Limiter) allowOther(ctx context.Context, name string, n int64) (Decision, error) {
	name = l.name(name)
	if n < 0 {
		return Decision{}, WeightError(name, n)
	}
	return l.factory.Acquire(ctx, name, n)
}

// Wait is shorthand for WaitN(ctx, name, 1).
func (l *Limiter) Wait(ctx context.Context, name string) (Decision, error) {
	return l.WaitN(ctx, name, 1)
}

// WaitN admits n units under name, waiting as long as needed. Each retry
// re-reads the store's clock; each wait is the denial's RetryAfter plus the
// buffer ([WithBuffer]).
//
// It returns the allowing Decision, or the last denial with an error:
//   - a [*LimitError] wrapping [ErrExceedsLimit] at once when n exceeds the
//     smallest limit;
//   - a [*LimitError] wrapping [ErrWaitTooLong] at once when the wait needed
//     would pass the context's deadline or the maximum wait ([WithMaxWait]);
//     it also wraps [context.DeadlineExceeded] when the context's deadline is
//     the bound;
//   - the context's error if it is done before or while waiting (before,
//     nothing is acquired);
//   - an error wrapping [ErrClosed] at once when the limiter is closed
//     while it waits;
//   - any error of AllowN.
func (l *Limiter) WaitN(ctx context.Context, name string, n int64) (Decision, error) {
	name = l.name(name)
	if err := context.Cause(ctx); err != nil {
		return Decision{}, fmt.Errorf("ratelimit: waiting for %q: %w", name, err)
	}
	var deadline time.Time
	var cause error
	if l.cfg.maxWait > 0 {
		deadline = time.Now().Add(l.cfg.maxWait)
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline, cause = d, context.DeadlineExceeded
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		d, err := l.AllowN(ctx, name, n)
		if err != nil || d.Allowed {
			return d, err
		}
		if d.RetryAfter == Never {
			return d, &LimitError{Name: name, Weight: n, Rate: d.Rate, RetryAfter: Never, Err: ErrExceedsLimit}
		}
		wait := d.RetryAfter + min(l.cfg.buffer, Never-d.RetryAfter) // no overflow
		now := time.Now()
		if !deadline.IsZero() {
			left := deadline.Sub(now)
			if d.RetryAfter > left {
				return d, &LimitError{Name: name, Weight: n, Rate: d.Rate, RetryAfter: d.RetryAfter, Err: ErrWaitTooLong, Cause: cause}
			}
			// Shorten the buffer to end just before the deadline, so that
			// the retry runs while the context is still live.
			wait = min(wait, max(d.RetryAfter, left-time.Millisecond))
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		retryAt := now.Add(wait) // never after the deadline, when it fits
		select {
		case <-timer.C:
		case <-l.closed:
			return d, fmt.Errorf("ratelimit: waiting for %q: %w", name, ErrClosed)
		case <-ctx.Done():
			// The deadline and the retry may come at the same instant;
			// which channel a select sees first is chance, so the clock
			// decides: a wait that has run its course is retried.
			if time.Now().Before(retryAt) {
				return d, fmt.Errorf("ratelimit: waiting for %q: %w", name, context.Cause(ctx))
			}
		}
	}
}

// Rates returns the rates the limiter's factory enforces, or nil when the
// factory does not say (it has no Rates() Rates method). Every store of this
// module says; HTTP middleware lists them in its RateLimit-Policy header.
func (l *Limiter) Rates() Rates {
	if r, ok := l.factory.(interface{ Rates() Rates }); ok {
		return r.Rates()
	}
	return nil
}

// Bucket returns the bucket name routes to (the default name for "").
func (l *Limiter) Bucket(ctx context.Context, name string) (Bucket, error) {
	return l.factory.Bucket(ctx, l.name(name))
}

// Close wakes every WaitN in progress (they return an error wrapping
// [ErrClosed]), stops the leaker the limiter started, then closes the
// factory and, through it, the buckets. It is idempotent: later calls
// return the first call's error.
func (l *Limiter) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		var errs []error
		if l.leaker != nil {
			errs = append(errs, l.leaker.Close())
		}
		errs = append(errs, l.factory.Close())
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

func (l *Limiter) name(name string) string {
	if name == "" {
		return l.cfg.name
	}
	return name
}
