package ratelimit

import (
	"context"
	"time"
)

// An Option configures a [Limiter]: a [Rate] or [Rates] it enforces, or one
// of the With functions.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

func (r Rate) apply(c *config) { c.rates = append(c.rates, r) }

func (rs Rates) apply(c *config) { c.rates = append(c.rates, rs...) }

type config struct {
	rates    []Rate
	ratesFor func(context.Context, string) (Rates, error)
	prefix   string
	buffer   time.Duration
	maxWait  time.Duration
}

// WithRatesFor makes the limiter ask fn for the rates of each key on every
// call: plans and tiers, looked up per key and changeable at any time. When
// fn returns no rates and no error, the limiter's own rates apply (an error
// if it has none); an error from fn is returned, wrapped, and nothing is
// taken. fn must be safe for concurrent use; it is validated per call as
// [NewRates] does, so return a Rates made once by NewRates or [ParseRates].
// Default: none, every key gets the limiter's rates.
func WithRatesFor(fn func(ctx context.Context, key string) (Rates, error)) Option {
	return optionFunc(func(c *config) { c.ratesFor = fn })
}

// WithPrefix puts prefix before every key the limiter passes to its store, so
// that limiters sharing a store keep apart. Limiters with the same prefix
// (the default, none) share the state of equal keys. A prefix costs an
// allocation per call.
func WithPrefix(prefix string) Option {
	return optionFunc(func(c *config) { c.prefix = prefix })
}

// WithBuffer sets the time added to every wait of [Limiter.WaitN], to absorb
// drift between the limiter's timer and the store's clock. Default: 50ms.
// Negative is an error.
func WithBuffer(d time.Duration) Option {
	return optionFunc(func(c *config) { c.buffer = d })
}

// WithMaxWait bounds the time one [Limiter.WaitN] may wait, on top of its
// context's deadline. Default: 0, no bound but the context's. Negative is an
// error.
func WithMaxWait(d time.Duration) Option {
	return optionFunc(func(c *config) { c.maxWait = d })
}
