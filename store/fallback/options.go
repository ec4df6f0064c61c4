package fallback

import (
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
)

// Defaults of the options.
const (
	// DefaultTimeout is the bound of each call to the primary store unless
	// [WithTimeout] says otherwise: long enough for a Redis take on a local
	// network under load, so that a healthy server is seldom cut off (a
	// call cut off is decided locally, and the store returns after a probe
	// interval), short enough that callers of a hung one wait little before
	// the local store decides. A PostgreSQL take is slower, a commit
	// included: give it a timeout above its slowest takes under load, such
	// as WithTimeout(time.Second), or it switches to its local store now and
	// then while healthy.
	DefaultTimeout = 100 * time.Millisecond
	// DefaultProbeInterval is the time between tries of a failed primary
	// unless [WithProbeInterval] says otherwise: a store with traffic is
	// back on a recovered primary about that long after it recovered, well
	// within a second.
	DefaultProbeInterval = 250 * time.Millisecond
)

// An Option configures a [Store]; the With functions make them.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	local     ratelimit.Store
	localSet  bool
	timeout   time.Duration
	probe     time.Duration
	observers []ratelimit.Observer
	name      string
}

// WithLocal sets the store that decides while the primary fails. It should
// keep its state in the process (its limits are a share of one process);
// the fallback store never closes it. Default: a memory store
// (package store/memory) with the sliding-window log, made by [New]. nil is
// an error.
func WithLocal(s ratelimit.Store) Option {
	return optionFunc(func(c *config) { c.local, c.localSet = s, true })
}

// WithTimeout bounds each call to the primary store: a call that has not
// answered by then counts as a failure, and the local store decides. The
// caller's own deadline, when sooner, still bounds the call, and then its
// expiry is the caller's error, not a failure; such a caller's context is
// passed as it is, while any other is wrapped by [context.WithTimeout] (a few
// allocations per call). Default: [DefaultTimeout].
// Zero or negative is an error.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.timeout = d })
}

// WithProbeInterval sets how long the store keeps to its local store after
// a failure before it tries the primary again: the first call after the
// interval is sent to the primary (bounded by the timeout), and on success
// the store returns to it. Default: [DefaultProbeInterval]. Zero or
// negative is an error.
func WithProbeInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.probe = d })
}

// WithObserver adds an observer told of every switch, with an Event of
// Policy [ratelimit.Fallback]. It may be given many times; nil is an error.
// Default: none.
func WithObserver(o ratelimit.Observer) Option {
	return optionFunc(func(c *config) { c.observers = append(c.observers, o) })
}

// WithName sets the name the store's events carry as their Limiter.
// Default: "".
func WithName(name string) Option {
	return optionFunc(func(c *config) { c.name = name })
}

// newConfig applies opts over the defaults and validates the result.
func newConfig(opts []Option) (config, error) {
	c := config{timeout: DefaultTimeout, probe: DefaultProbeInterval}
	for _, o := range opts {
		if o == nil {
			return c, fmt.Errorf("%w: fallback: option is nil", ratelimit.ErrInvalidArgument)
		}
		o.apply(&c)
	}
	switch {
	case c.localSet && c.local == nil:
		return c, fmt.Errorf("%w: fallback: local store is nil", ratelimit.ErrInvalidArgument)
	case c.timeout <= 0:
		return c, fmt.Errorf("%w: fallback: timeout %s is not positive", ratelimit.ErrInvalidArgument, c.timeout)
	case c.probe <= 0:
		return c, fmt.Errorf("%w: fallback: probe interval %s is not positive", ratelimit.ErrInvalidArgument, c.probe)
	}
	for i, o := range c.observers {
		if o == nil {
			return c, fmt.Errorf("%w: fallback: observer %d is nil", ratelimit.ErrInvalidArgument, i+1)
		}
	}
	return c, nil
}
