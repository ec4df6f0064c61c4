package sqlitestore

import (
	"fmt"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// An Option configures a [Store] made by [Open] or [New].
type Option func(*config)

type config struct {
	algorithm ratelimit.Algorithm
	table     string
	clock     core.Clock
}

func newConfig(opts []Option) (config, error) {
	c := config{algorithm: ratelimit.SlidingWindowLog, table: DefaultTable}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.algorithm == "" {
		c.algorithm = ratelimit.SlidingWindowLog
	}
	if c.clock == nil {
		c.clock = core.WallClock{}
	}
	if err := core.Validate(c.algorithm, nil); err != nil { // an unknown algorithm
		return c, fmt.Errorf("sqlitestore: %w", err)
	}
	return c, checkTable(c.table)
}

// WithAlgorithm sets the admission algorithm of the Store. Default (also
// for ""): [ratelimit.SlidingWindowLog], which keeps one row per admitted
// take in the table (see [WithTable]).
//
// [ratelimit.GCRA] keeps instead one row per key in the table's companion
// table_gcra: for each rate a theoretical arrival time and its remainder,
// and the rate itself, 32 bytes per rate whatever the traffic.
// [ratelimit.SlidingWindowCounter] keeps one row per key in table_counter:
// for each rate a window start and two counts, and the rate, 40 bytes per
// rate. Under either, a take reads and rewrites that one row in its
// transaction.
//
// Each algorithm keeps its state apart, so stores of different algorithms
// on one table never share limits. An unknown algorithm is an error
// wrapping [ratelimit.ErrInvalidArgument].
func WithAlgorithm(a ratelimit.Algorithm) Option {
	return func(c *config) { c.algorithm = a }
}

// WithTable sets the table the Store keeps its rows in. The name must be an
// identifier (letters, digits and underscores, not starting with a digit,
// at most 63 characters, not starting with sqlite_), or the constructor
// fails with an error wrapping [ratelimit.ErrInvalidArgument]; it is quoted
// in every statement all the same. Default: [DefaultTable].
func WithTable(name string) Option {
	return func(c *config) { c.table = name }
}

// WithClock sets the clock takes are stamped with, and the sweeper deletes
// old rows by. Every process sharing a table must use clocks of one domain.
// Default (also for nil): [core.WallClock], Unix milliseconds, the one
// domain all processes of a host share.
func WithClock(c core.Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}
