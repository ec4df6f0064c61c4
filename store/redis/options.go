package redisstore

import (
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// An Option configures a [Store]. Options are made by the With functions.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	prefix    string
	algorithm ratelimit.Algorithm
}

// DefaultPrefix is the prefix of every key unless [WithPrefix] says
// otherwise.
const DefaultPrefix = "ratelimit:"

func newConfig(opts []Option) (config, error) {
	c := config{prefix: DefaultPrefix}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if len(c.prefix) > 1024 {
		return c, fmt.Errorf("%w: redisstore: prefix of %d bytes is longer than 1024", ratelimit.ErrInvalidArgument, len(c.prefix))
	}
	return c, nil
}

// WithPrefix sets the prefix of every key the Store writes, so that several
// Stores (with different rates) or applications share a server without
// sharing limits. Stores with the same prefix and algorithm share every
// name's limit and must enforce the same rates: the keys carry no rates of
// their own. Stores of different algorithms never share state under one
// prefix, but GCRA's and the counter's keys spell the prefix followed by
// "g" or "c", so a prefix should not be another one's plus "g" or "c". The
// prefix should not contain "{" (see [Store] on the key scheme). Default:
// [DefaultPrefix].
func WithPrefix(prefix string) Option {
	return optionFunc(func(c *config) { c.prefix = prefix })
}

// WithAlgorithm sets the admission algorithm of every name. Default:
// [ratelimit.AlgorithmSlidingWindowLog], the exact log, one sorted set per
// name holding a member per run of admitted units. The constant-state
// algorithms keep one string key per name, whatever the traffic:
//
//   - [ratelimit.AlgorithmGCRA] ([ratelimit.GCRA]): 16 bytes of state per
//     rate, the theoretical arrival time and its fraction of a millisecond;
//   - [ratelimit.AlgorithmSlidingWindowCounter]
//     ([ratelimit.SlidingWindowCounter]): 24 bytes per rate, the current
//     window's start and the units of the current and previous windows.
//
// Each decision is still one EVALSHA round trip computing, on the server's
// clock, exactly what the core's algorithm computes; the key expires when
// the state counts nothing any more. Under them Peek fails with an error
// wrapping [ratelimit.ErrNoHistory], Count reports what the largest rate
// still counts at the server's clock, and Leak deletes a name's state once
// it counts nothing (returning 0). Their keys never collide with the log's
// (see [Store] on keys), so Stores of different algorithms may share a
// prefix without sharing state. An unknown algorithm is an error wrapping
// [ratelimit.ErrInvalidArgument] from [New]; rates whose limit × interval
// (ms) exceeds 2^53 are an error wrapping [ratelimit.ErrInvalidRates].
func WithAlgorithm(a ratelimit.Algorithm) Option {
	return optionFunc(func(c *config) { c.algorithm = a })
}
