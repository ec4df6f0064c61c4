package ratelimit

import (
	"fmt"
	"log/slog"
	"time"
)

// An Option configures a [Limiter]. Options are made by the With functions.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	name         string
	buffer       time.Duration
	maxWait      time.Duration
	leakInterval time.Duration
	onLeakError  func(Bucket, error)
}

func newConfig(opts []Option) (config, error) {
	c := config{
		name:         DefaultName,
		buffer:       50 * time.Millisecond,
		leakInterval: 10 * time.Second,
		onLeakError: func(b Bucket, err error) {
			slog.Default().Warn("ratelimit: leak failed", "rates", b.Rates().String(), "err", err)
		},
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	switch {
	case c.buffer < 0:
		return c, fmt.Errorf("%w: buffer %s is negative", ErrInvalidArgument, c.buffer)
	case c.maxWait < 0:
		return c, fmt.Errorf("%w: maximum wait %s is negative", ErrInvalidArgument, c.maxWait)
	case c.leakInterval < 0:
		return c, fmt.Errorf("%w: leak interval %s is negative", ErrInvalidArgument, c.leakInterval)
	case c.onLeakError == nil:
		return c, fmt.Errorf("%w: leak error handler is nil", ErrInvalidArgument)
	}
	return c, nil
}

// DefaultName is the name a [Limiter] uses for an empty name, unless
// [WithName] says otherwise.
const DefaultName = "default"

// WithName sets the name used when a call passes "" (single-resource use).
// Default: [DefaultName].
func WithName(name string) Option {
	return optionFunc(func(c *config) { c.name = name })
}

// WithBuffer sets the time added to every wait of a blocking acquire, to
// absorb drift between the limiter's timer and the store's clock (PyrateLimiter
// buffer_ms). Default: 50ms. Negative is an error.
func WithBuffer(d time.Duration) Option {
	return optionFunc(func(c *config) { c.buffer = d })
}

// WithMaxWait bounds the total time a blocking acquire may wait, on top of
// the context's deadline. Default: 0, no bound but the context's. Negative is
// an error.
func WithMaxWait(d time.Duration) Option {
	return optionFunc(func(c *config) { c.maxWait = d })
}

// WithLeakInterval sets how often [NewBucketLimiter] leaks its bucket in the
// background. It has no effect on [New], whose factory manages its own
// buckets. Default: 10s; 0 disables the leaker. Negative is an error.
func WithLeakInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.leakInterval = d })
}

// WithLeakErrorHandler sets the function told of a failed background leak;
// the leaker goes on. Default: a warning on [slog.Default].
func WithLeakErrorHandler(fn func(Bucket, error)) Option {
	return optionFunc(func(c *config) { c.onLeakError = fn })
}
