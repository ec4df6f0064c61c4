package denialcache

import (
	"fmt"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// An Option configures a [Store]; the With functions make them.
type Option func(*config)

type config struct {
	maxKeys int
	clock   core.Clock
}

// DefaultMaxKeys is the number of denials a [Store] holds at most unless
// [WithMaxKeys] says otherwise.
const DefaultMaxKeys = 10_000

func newConfig(opts []Option) (config, error) {
	c := config{maxKeys: DefaultMaxKeys}
	for _, o := range opts {
		if o == nil {
			return c, fmt.Errorf("%w: denialcache: option is nil", ratelimit.ErrInvalidArgument)
		}
		o(&c)
	}
	if c.maxKeys <= 0 {
		return c, fmt.Errorf("%w: denialcache: maximum of %d keys must be positive", ratelimit.ErrInvalidArgument, c.maxKeys)
	}
	return c, nil
}

// WithMaxKeys caps the number of keys whose denial the Store holds, in
// total. When it is full, a new denial takes the place of an expired one, or
// else of one picked at random; a key without a cached denial is decided by
// the inner store, so the cap bounds memory and never changes a decision. A
// cap below 1 makes [New] fail with an error wrapping
// [ratelimit.ErrInvalidArgument]. Default: [DefaultMaxKeys].
func WithMaxKeys(n int) Option {
	return func(c *config) { c.maxKeys = n }
}

// WithClock sets the clock that times cached denials, for tests that move
// the inner store's clock by hand: it must be that clock, and a denial then
// ends exactly when the inner store's RetryAfter says. Default (and nil):
// the process's monotonic clock, read in nanoseconds, and each denial ends
// a millisecond early (see the package doc).
func WithClock(clock core.Clock) Option {
	return func(c *config) { c.clock = clock }
}
