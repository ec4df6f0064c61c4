package pgstore

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
	table         string
	sweepInterval time.Duration
	sweepSet      bool
	asyncCommit   bool
	algorithm     ratelimit.Algorithm
}

func newConfig(rates ratelimit.Rates, opts []Option) (config, error) {
	c := config{table: DefaultTable}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if !c.sweepSet {
		c.sweepInterval = min(max(rates.Largest().Interval, time.Second), time.Minute)
	}
	if c.sweepInterval < 0 {
		return c, fmt.Errorf("%w: pgstore: sweep interval %s is negative", ratelimit.ErrInvalidArgument, c.sweepInterval)
	}
	return c, checkTable(c.table)
}

// WithTable sets the table the Store keeps its rows in (in the connection's
// search_path); its indexes and decision function are named after it.
// Several Stores, with different rates, may share one database under
// different tables. The name must be an identifier (ASCII letters, digits
// and underscores, not starting with a digit, at most 48 characters, not
// starting with pg_), or [New] fails with an error wrapping
// [ratelimit.ErrInvalidArgument]; it is quoted in every statement all the
// same, so its case is kept. Default: [DefaultTable].
//
// Stores that share a table must enforce the same rates: the rows carry no
// rates of their own. The state table of [WithAlgorithm] is named after the
// table with the suffix _state, so no other Store's table should bear that
// name.
func WithTable(name string) Option {
	return optionFunc(func(c *config) { c.table = name })
}

// WithSweepInterval sets how often the Store's background sweeper deletes,
// in batches, the rows of every name older than the largest interval by the
// server's clock (under GCRA or the sliding-window counter, the state of
// every name that counts nothing any more; see [Store.Leak]); 0 disables
// it. Leaking only bounds the
// table's size: decisions never depend on it. Default: the largest
// interval, kept between 1s and 1min.
func WithSweepInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.sweepInterval, c.sweepSet = d, true })
}

// WithAsyncCommit lets a put return without waiting for its WAL record to
// reach disk (synchronous_commit off, for that transaction only), which
// about halves its latency. The price: a crash of the database server (not
// of the application) may forget the last few hundred milliseconds of
// admitted units and let that many through again; the database never
// becomes inconsistent. Default: off — every put is durable when it returns,
// as PostgreSQL does by default.
func WithAsyncCommit() Option {
	return optionFunc(func(c *config) { c.asyncCommit = true })
}

// WithAlgorithm sets the admission algorithm: [ratelimit.AlgorithmSlidingWindowLog]
// (the default, the exact log, one row per admitted put),
// [ratelimit.AlgorithmGCRA] or [ratelimit.AlgorithmSlidingWindowCounter],
// which keep one row of a few numbers per rate for each name, in the
// table's companion state table (see [Store.Migrate]), whatever the
// traffic. Their decisions are the core's ([ratelimit.GCRA],
// [ratelimit.SlidingWindowCounter]) to the millisecond, and they keep no
// log of units: Peek fails with an error wrapping [ratelimit.ErrNoHistory].
// Their rates must pass the algorithm's Validate (limit × interval in
// milliseconds at most 2^53), and an unknown algorithm is an error wrapping
// [ratelimit.ErrInvalidArgument], both from [New].
//
// Stores that share a table should use the same algorithm: a name's state
// written by another algorithm, or for another number of rates, is treated
// as empty and overwritten.
func WithAlgorithm(a ratelimit.Algorithm) Option {
	return optionFunc(func(c *config) { c.algorithm = a })
}
