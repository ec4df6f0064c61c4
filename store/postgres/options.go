package pgstore

import (
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// An Option configures a [Store] made by [New].
type Option func(*config)

type config struct {
	table         string
	algorithm     ratelimit.Algorithm
	clock         core.Clock
	sweepInterval time.Duration
	asyncCommit   bool
	maxBatch      int
}

// defaultSweepInterval is how often the sweeper runs unless
// WithSweepInterval says otherwise.
const defaultSweepInterval = 10 * time.Second

func newConfig(opts []Option) (config, error) {
	c := config{table: "ratelimit", sweepInterval: defaultSweepInterval, maxBatch: 64}
	for _, o := range opts {
		if o == nil {
			return c, fmt.Errorf("%w: pgstore: option is nil", ratelimit.ErrInvalidArgument)
		}
		o(&c)
	}
	if c.sweepInterval < 0 {
		return c, fmt.Errorf("%w: pgstore: sweep interval %s is negative", ratelimit.ErrInvalidArgument, c.sweepInterval)
	}
	if c.maxBatch < 1 {
		return c, fmt.Errorf("%w: pgstore: max batch %d is less than 1", ratelimit.ErrInvalidArgument, c.maxBatch)
	}
	if err := core.Validate(c.algorithm, nil); err != nil {
		return c, fmt.Errorf("pgstore: %w", err)
	}
	return c, checkTable(c.table)
}

// WithTable sets the table the Store keeps the log in (in the connection's
// search_path); the state table of GCRA and the sliding-window counter is
// named after it with the suffix _state, the table of blocks with the
// suffix _block, and its indexes and functions with other suffixes. Stores
// of one algorithm on one table share each key's state (the state of GCRA
// and of the counter, on one table, replace each other); limiters sharing a
// Store keep apart by key prefixes. The name must be an identifier (ASCII
// letters, digits and underscores, not starting with a digit, at most 48
// characters, not starting with pg_), or [New] fails with an error wrapping
// [ratelimit.ErrInvalidArgument]; it is quoted in every statement all the
// same, so its case is kept. Default: "ratelimit".
func WithTable(name string) Option {
	return func(c *config) { c.table = name }
}

// WithAlgorithm sets the admission algorithm: [ratelimit.SlidingWindowLog]
// (the default, also ""), the exact log, one row per admitted take, or
// [ratelimit.GCRA] or [ratelimit.SlidingWindowCounter], which keep one row
// of a few numbers per rate for each key, in the state table, whatever the
// traffic. An unknown algorithm is an error from [New] wrapping
// [ratelimit.ErrInvalidArgument].
func WithAlgorithm(a ratelimit.Algorithm) Option {
	return func(c *config) { c.algorithm = a }
}

// WithClock sets the clock takes are stamped with and the sweeper judges
// age by. Default (and nil): the server's clock, clock_timestamp() read
// inside each statement in Unix milliseconds, which every process and host
// sharing the table agrees on. With a clock, each statement is given its
// reading instead, taken just before the call: for tests that must control
// time (a [core.FakeClock]). Every Store on a table must then read one
// clock domain.
func WithClock(c core.Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}

// WithSweepInterval sets how often the Store's background sweeper deletes,
// in batches, the rows that count for no rate any more: the log's rows
// older than the largest interval of their key's last take, the state of
// every key that counts nothing, and the blocks that no longer matter
// (over, escalating no later block, counting no denial). 0 disables it (another process's
// sweeper on the table does the work); a negative interval is an error
// from [New] wrapping [ratelimit.ErrInvalidArgument]. Sweeping bounds the
// tables' size; decisions under unchanged rates never depend on it.
// Default: 10s.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) { c.sweepInterval = d }
}

// WithAsyncCommit lets a take return without waiting for its WAL record to
// reach disk (synchronous_commit off, for that transaction only), which
// about halves its latency. The price: a crash of the database server (not
// of the application) may forget the last few hundred milliseconds of
// admitted units and let that many through again; the database never
// becomes inconsistent. Default: off, every take is durable when it
// returns, as PostgreSQL does by default.
func WithAsyncCommit() Option {
	return func(c *config) { c.asyncCommit = true }
}

// WithMaxBatch sets the most takes (of Take and TakeBlocking) the Store
// sends as one statement. Takes that come while the Store has two
// statements of takes running queue, and the next statement carries up to n
// of them, each decided exactly as it would be alone, in one transaction
// (see [Store.Take]); so under concurrency a Store makes fewer round trips
// and commits than takes. A statement never waits for a key's lock: the
// takes of a key another transaction holds go to statements of that key
// alone, which wait for it, so a key held long holds back only its own
// takes. 1 turns batching off: every take is a statement of its own, sent
// at once. An n below 1 is an error from [New] wrapping
// [ratelimit.ErrInvalidArgument]. Default: 64.
func WithMaxBatch(n int) Option {
	return func(c *config) { c.maxBatch = n }
}
