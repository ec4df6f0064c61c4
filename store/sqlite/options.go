package sqlitestore

import (
	"fmt"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// An Option configures a [Store]. Options are made by the With functions.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	algorithm     ratelimit.Algorithm
	alg           algorithm
	table         string
	clock         ratelimit.Clock
	sweepInterval time.Duration
	sweepSet      bool
}

func newConfig(rates ratelimit.Rates, opts []Option) (config, error) {
	c := config{table: DefaultTable, clock: ratelimit.WallClock{}}
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
		return c, fmt.Errorf("%w: sqlitestore: clock is nil", ratelimit.ErrInvalidArgument)
	case c.sweepInterval < 0:
		return c, fmt.Errorf("%w: sqlitestore: sweep interval %s is negative", ratelimit.ErrInvalidArgument, c.sweepInterval)
	}
	if err := checkTable(c.table); err != nil {
		return c, err
	}
	var err error
	c.alg, err = parseAlgorithm(c.algorithm, rates)
	return c, err
}

// WithAlgorithm sets the admission algorithm of the Store. Default:
// [ratelimit.AlgorithmSlidingWindowLog], the exact [ratelimit.SlidingWindowLog],
// which keeps one row per admitted put in the table (see [WithTable]).
//
// [ratelimit.AlgorithmGCRA] ([ratelimit.GCRA]) keeps one row per name in the
// table's companion table_gcra: per rate a theoretical arrival time and its
// remainder (16 bytes per rate), whatever the traffic.
// [ratelimit.AlgorithmSlidingWindowCounter] ([ratelimit.SlidingWindowCounter])
// keeps one row per name in table_counter: per rate a window start and two
// counts (24 bytes per rate). Under either, a put reads and rewrites that
// one row in its transaction, Peek fails with an error wrapping
// [ratelimit.ErrNoHistory], Count reports what the largest rate still counts
// at the store's clock, and Leak deletes the rows of names that count
// nothing any more.
//
// Every process sharing a table must use the same algorithm (and rates):
// each algorithm keeps its state apart, so stores of different algorithms
// never share limits. An unknown algorithm is an error wrapping
// [ratelimit.ErrInvalidArgument]; rates that the algorithm cannot compute
// exactly fail its Validate (wrapping [ratelimit.ErrInvalidRates]).
func WithAlgorithm(a ratelimit.Algorithm) Option {
	return optionFunc(func(c *config) { c.algorithm = a })
}

// WithTable sets the table the Store keeps its rows in; several Stores, with
// different rates, may share one database under different tables. The name
// must be an identifier (letters, digits and underscores, not starting with
// a digit, at most 63 characters, not starting with sqlite_), or the
// constructor fails with an error wrapping [ratelimit.ErrInvalidArgument]; it
// is quoted in every statement all the same. Default: [DefaultTable].
//
// Stores that share a table must enforce the same rates: the rows carry no
// rates of their own.
func WithTable(name string) Option {
	return optionFunc(func(c *config) { c.table = name })
}

// WithClock sets the clock PutNow and Acquire stamp units with, and the
// sweeper leaks by. Every process sharing a table must use clocks of one
// domain. Default: [ratelimit.WallClock], Unix milliseconds, the one domain
// all processes of a host share (a monotonic clock is per process or per
// boot, so two processes could not compare its readings). Tests use a
// [ratelimit.FakeClock].
func WithClock(c ratelimit.Clock) Option {
	return optionFunc(func(cfg *config) { cfg.clock = c })
}

// WithSweepInterval sets how often the Store's background sweeper deletes,
// in batches, the rows of every name older than the largest interval (see
// [Store.Leak]); 0 disables it. Leaking only bounds the table's size:
// decisions never depend on it. Default: the largest interval, kept between
// 1s and 1min.
func WithSweepInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.sweepInterval, c.sweepSet = d, true })
}
