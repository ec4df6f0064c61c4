package memorystore

import (
	"fmt"
	"math/bits"
	"runtime"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// An Option configures a [Bucket] or a [Store]. Options are made by the With
// functions; each says whether it applies to both or to a Store only.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	algorithm     ratelimit.Algorithm
	clock         ratelimit.Clock
	shards        int
	maxKeys       int
	sweepInterval time.Duration
	sweepSet      bool
}

func newConfig(rates ratelimit.Rates, opts []Option) (config, error) {
	c := config{
		clock:   ratelimit.MonotonicClock{},
		shards:  defaultShards(),
		maxKeys: DefaultMaxKeys,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if !c.sweepSet {
		c.sweepInterval = min(max(rates.Largest().Interval, time.Second), time.Minute)
	}
	switch {
	case c.clock == nil:
		return c, fmt.Errorf("%w: memorystore: clock is nil", ratelimit.ErrInvalidArgument)
	case c.shards <= 0 || c.shards > 1<<16:
		return c, fmt.Errorf("%w: memorystore: %d shards is outside 1..65536", ratelimit.ErrInvalidArgument, c.shards)
	case c.maxKeys <= 0:
		return c, fmt.Errorf("%w: memorystore: maximum of %d keys must be positive", ratelimit.ErrInvalidArgument, c.maxKeys)
	case c.sweepInterval < 0:
		return c, fmt.Errorf("%w: memorystore: sweep interval %s is negative", ratelimit.ErrInvalidArgument, c.sweepInterval)
	}
	var err error
	if c.algorithm, err = parseAlgorithm(c.algorithm, rates); err != nil {
		return c, err
	}
	// A power of two, and no more shards than keys, so every shard may hold
	// at least one key.
	c.shards = 1 << (bits.Len(uint(min(c.shards, c.maxKeys))) - 1)
	return c, nil
}

func defaultShards() int { return max(64, 16*runtime.GOMAXPROCS(0)) }

// DefaultMaxKeys is the number of keys a [Store] holds at most unless
// [WithMaxKeys] says otherwise.
const DefaultMaxKeys = 1 << 20

// WithAlgorithm sets the admission algorithm of a Bucket or Store: the
// exact [ratelimit.SlidingWindowLog] (the default), [ratelimit.GCRA] or
// [ratelimit.SlidingWindowCounter], which keep a few numbers per rate and
// key whatever the traffic (about 300 bytes per key in all). Under the
// constant-state algorithms Peek fails with [ratelimit.ErrNoHistory] and
// Count reports what the largest rate still counts.
func WithAlgorithm(a ratelimit.Algorithm) Option {
	return optionFunc(func(cfg *config) { cfg.algorithm = a })
}

// WithClock sets the clock units are stamped with. Default:
// [ratelimit.MonotonicClock]. Tests use a [ratelimit.FakeClock].
func WithClock(c ratelimit.Clock) Option {
	return optionFunc(func(cfg *config) { cfg.clock = c })
}

// WithShards sets how many independently locked shards a Store spreads its
// keys over, rounded down to a power of two and to at most the maximum
// number of keys. Store only. Default: 16 per GOMAXPROCS, at least 64.
func WithShards(n int) Option {
	return optionFunc(func(cfg *config) { cfg.shards = n })
}

// WithMaxKeys caps the number of keys a Store holds, in total over its
// shards. When the store is full, a new key first makes the store drop idle
// keys (those with no unit inside the largest window, whose loss changes no
// decision): its shard's, then, if that made no room, every shard's; if
// none is idle, the put fails with [ErrTooManyKeys] rather than forget a key
// that still counts. A key costs about 300 bytes, plus its name, plus 16
// bytes for each millisecond of its largest window that holds units. Store
// only. Default: [DefaultMaxKeys].
func WithMaxKeys(n int) Option {
	return optionFunc(func(cfg *config) { cfg.maxKeys = n })
}

// WithSweepInterval sets how often a Store's background sweeper leaks every
// key and drops the idle ones; 0 disables the sweeper (idle keys are then
// dropped only when a shard is full). Store only. Default: the largest
// interval, kept between 1s and 1min.
func WithSweepInterval(d time.Duration) Option {
	return optionFunc(func(cfg *config) { cfg.sweepInterval, cfg.sweepSet = d, true })
}
