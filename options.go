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

	name      string
	observers []Observer
	keys      bool // WithObservedKeys
	dryRun    bool
	failOpen  bool
	shadow    *Limiter
	block     *Block
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

// WithName names the limiter in the events its observers see
// ([Event].Limiter), so that metrics tell limiters apart: "api", "login".
// Names are for a handful of limiters, not one per key. Default: "".
func WithName(name string) Option {
	return optionFunc(func(c *config) { c.name = name })
}

// WithObserver adds o to the observers told of every decision of the
// limiter (see [Observer]); given several times, it adds each, called in
// that order. A nil o is an error. Default: none, and a limiter without
// observers pays nothing for them.
func WithObserver(o Observer) Option {
	return optionFunc(func(c *config) { c.observers = append(c.observers, o) })
}

// WithObservedKeys puts the caller's key in every [Event], for observers
// that log. Metrics must not use keys as labels: there is one per client.
// Default: events carry no key.
func WithObservedKeys() Option {
	return optionFunc(func(c *config) { c.keys = true })
}

// WithDryRun makes the limiter decide and report as usual but never deny:
// to try a limit on real traffic first. AllowN and WaitN admit at once,
// returning the store's Decision with Allowed true and RetryAfter 0 (Rate,
// Remaining and ResetAfter as the store computed them); the observers see
// the decision the store made with Policy [DryRun]. A denial consumes
// nothing in the store, as when it is enforced, so that the would-be
// denials are exactly those the limit would make. A dry-run limiter also
// fails open, as [WithFailOpen] says. Default: off.
func WithDryRun() Option {
	return optionFunc(func(c *config) { c.dryRun = true })
}

// WithFailOpen makes the limiter admit when its store (or its
// [WithRatesFor] function) fails while the caller's context is live:
// AllowN and WaitN return an allowing Decision with a zero Rate and a nil
// error, and the observers see the failure with Policy [FailOpen]. A call
// whose context has ended still returns the error. Default: off, the
// failure is returned.
func WithFailOpen() Option {
	return optionFunc(func(c *config) { c.failOpen = true })
}

// WithShadow runs shadow beside the limiter: after each AllowN, and once
// after each WaitN, the same key and weight are taken from shadow (with its
// own rates, prefix and store) without waiting, its decision is reported to
// shadow's observers with Policy [Shadow], and it is ignored: the limiter's
// decisions are exactly those it makes without a shadow. So that a shadow
// never spends the enforced budget, shadow must keep its keys apart: it is
// an error for shadow to share the limiter's store with the same prefix.
// Default: none.
func WithShadow(shadow *Limiter) Option {
	return optionFunc(func(c *config) { c.shadow = shadow })
}
