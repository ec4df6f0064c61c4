package memorystore

import (
	"fmt"
	"math/bits"
	"runtime"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// An Option configures a [Store]; the With functions make them.
type Option func(*config)

type config struct {
	algorithm ratelimit.Algorithm
	clock     core.Clock
	shards    int
	maxKeys   int
}

func newConfig(opts []Option) (config, error) {
	c := config{
		algorithm: ratelimit.SlidingWindowLog,
		shards:    max(64, 16*runtime.GOMAXPROCS(0)),
		maxKeys:   DefaultMaxKeys,
	}
	for _, o := range opts {
		if o == nil {
			return c, fmt.Errorf("%w: memorystore: option is nil", ratelimit.ErrInvalidArgument)
		}
		o(&c)
	}
	if c.algorithm == "" {
		c.algorithm = ratelimit.SlidingWindowLog
	}
	if c.clock == nil {
		c.clock = core.MonotonicClock{}
	}
	switch {
	case c.shards <= 0 || c.shards > 1<<16:
		return c, fmt.Errorf("%w: memorystore: %d shards is outside 1..65536", ratelimit.ErrInvalidArgument, c.shards)
	case c.maxKeys <= 0:
		return c, fmt.Errorf("%w: memorystore: maximum of %d keys must be positive", ratelimit.ErrInvalidArgument, c.maxKeys)
	}
	if err := core.Validate(c.algorithm, nil); err != nil {
		return c, fmt.Errorf("memorystore: %w", err)
	}
	// A power of two, and no more shards than keys, so every shard may hold
	// at least one key.
	c.shards = 1 << (bits.Len(uint(min(c.shards, c.maxKeys))) - 1)
	return c, nil
}

// DefaultMaxKeys is the number of keys a [Store] holds at most unless
// [WithMaxKeys] says otherwise.
const DefaultMaxKeys = 1 << 20

// WithAlgorithm sets the admission algorithm: [ratelimit.SlidingWindowLog]
// (the default, also ""), [ratelimit.GCRA] or
// [ratelimit.SlidingWindowCounter]. The log keeps a timestamp per
// millisecond that admitted units, up to the largest interval; the other two
// keep a few numbers per rate and key whatever the traffic. Any other value
// makes [New] fail with an error wrapping [ratelimit.ErrInvalidArgument].
func WithAlgorithm(a ratelimit.Algorithm) Option {
	return func(c *config) { c.algorithm = a }
}

// WithClock sets the clock takes are stamped with. Default (and nil):
// [core.MonotonicClock]. Tests use a [core.FakeClock].
func WithClock(clock core.Clock) Option {
	return func(c *config) { c.clock = clock }
}

// WithShards sets how many independently locked shards the store spreads
// its keys over, rounded down to a power of two and to at most the maximum
// number of keys; outside 1..65536, [New] fails with an error wrapping
// [ratelimit.ErrInvalidArgument]. Default: 16 per GOMAXPROCS, at least 64.
func WithShards(n int) Option {
	return func(c *config) { c.shards = n }
}

// WithMaxKeys caps the number of keys the store holds, in total over its
// shards. When the store is full, a new key first makes it drop idle keys
// (those that count nothing under the rates of their last take, whose loss
// changes no decision): its shard's, then, if that made no room, every
// shard's; if none is idle, the take fails with [ErrTooManyKeys] rather than
// forget a key that still counts. A key costs about 300 bytes under the log
// and 400 under GCRA and the counter, plus the key itself, plus, under the
// log, 8 bytes for each millisecond of its largest window that holds units
// (16 from when the key comes to hold 2^32 units or more, or units stamped
// 2^32 ms, about 49 days, apart or more, until it next holds none;
// TestStateBytesPerKey measures them). A cap below 1 makes [New] fail with
// an error wrapping [ratelimit.ErrInvalidArgument]. Default:
// [DefaultMaxKeys].
func WithMaxKeys(n int) Option {
	return func(c *config) { c.maxKeys = n }
}
