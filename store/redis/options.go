package redisstore

import (
	"fmt"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// An Option configures a [Store]; the With functions make them.
type Option func(*config)

type config struct {
	prefix    string
	algorithm ratelimit.Algorithm
	clock     core.Clock
	maxBatch  int
}

func newConfig(opts []Option) (config, error) {
	c := config{prefix: "ratelimit:", algorithm: ratelimit.SlidingWindowLog, maxBatch: defaultMaxBatch}
	for _, o := range opts {
		if o == nil {
			return c, fmt.Errorf("%w: redisstore: option is nil", ratelimit.ErrInvalidArgument)
		}
		o(&c)
	}
	if c.algorithm == "" {
		c.algorithm = ratelimit.SlidingWindowLog
	}
	if c.maxBatch < 1 {
		return c, fmt.Errorf("%w: redisstore: batch size %d is below 1", ratelimit.ErrInvalidArgument, c.maxBatch)
	}
	if err := core.Validate(c.algorithm, nil); err != nil {
		return c, fmt.Errorf("redisstore: %w", err)
	}
	return c, nil
}

// WithPrefix sets the prefix of every key the Store writes: a namespace, so
// that applications sharing a server keep their limits apart. Stores with
// the same prefix and algorithm share the state of equal keys; stores of
// different algorithms never do, but GCRA's and the counter's keys spell
// the prefix followed by "g" or "c", so a prefix should not be another one's
// plus "g" or "c". The prefix should not contain "{" (see [Store] on keys).
// Default: "ratelimit:".
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithAlgorithm sets the admission algorithm: [ratelimit.SlidingWindowLog]
// (the default, also ""), one sorted set per key holding a member per
// millisecond that admitted units; [ratelimit.GCRA], 16 bytes of state per
// rate; or [ratelimit.SlidingWindowCounter], 24 bytes per rate. The last
// two keep one string per key, whatever the traffic, with 16 bytes per rate
// more for the rates the state was kept under. Any other value makes [New]
// fail with an error wrapping [ratelimit.ErrInvalidArgument].
func WithAlgorithm(a ratelimit.Algorithm) Option {
	return func(c *config) { c.algorithm = a }
}

// WithClock makes the Store stamp takes with clock's reading, sent with each
// call, instead of the clock of the server that holds the key, read inside
// the script (TIME). It is for tests that must control time: every store
// sharing the keys must read clocks of one domain. The keys still expire on
// the server's clock: each write sets a key to last as long as its state
// counts by clock's reading, and at least a minute, so that a clock slower
// than the server's (a [core.FakeClock]) loses no state it still counts. A
// reading beyond ±2^53 ms makes the call fail with an error wrapping
// [ratelimit.ErrInvalidArgument]. Default (and nil): the server's clock.
func WithClock(clock core.Clock) Option {
	return func(c *config) { c.clock = clock }
}

// defaultMaxBatch is WithMaxBatch's default.
const defaultMaxBatch = 64

// WithMaxBatch sets how many concurrent decisions the Store sends to the
// server as one pipeline at most (see [Store] on batching); 1 turns
// batching off, each decision then going out on its own at once, as many
// at a time as callers make. A size below 1 makes [New] fail with an error
// wrapping [ratelimit.ErrInvalidArgument]. Default: 64.
func WithMaxBatch(n int) Option {
	return func(c *config) { c.maxBatch = n }
}
