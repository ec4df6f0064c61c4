package mpstore

import (
	"fmt"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// An Option configures a [Store]: its algorithm, its clock and the
// capacities that fix the file's layout. Every process that opens one file
// must pass the same algorithm and capacities: [Open] refuses a file laid
// out otherwise.
type Option func(*config)

type config struct {
	alg        algorithm
	algName    ratelimit.Algorithm
	clock      core.Clock
	maxKeys    int
	maxKeyLen  int
	maxEntries int
	maxRates   int
}

// Bounds of the capacities, so that a file stays mappable.
const (
	maxMaxKeys    = 1 << 22
	maxMaxEntries = 1 << 22
	maxMaxRates   = 64
	minKeyLen     = 32 // a SHA-256 digest must fit
	maxKeyLenCap  = 4096
	maxFileSize   = 1 << 40
)

// The default capacities.
const (
	// DefaultMaxKeys is the number of key slots unless [WithMaxKeys] says
	// otherwise.
	DefaultMaxKeys = 4096
	// DefaultMaxKeyLen is the longest key stored as it is unless
	// [WithMaxKeyLen] says otherwise.
	DefaultMaxKeyLen = 128
	// DefaultMaxEntries is the number of log entries per key unless
	// [WithMaxEntries] says otherwise: enough for any rate of up to 512
	// units, or of an interval under 512ms.
	DefaultMaxEntries = 512
	// DefaultMaxRates is the number of rates per key a GCRA or counter slot
	// holds unless [WithMaxRates] says otherwise.
	DefaultMaxRates = 4
)

func newConfig(opts []Option) (config, error) {
	c := config{
		maxKeys:    DefaultMaxKeys,
		maxKeyLen:  DefaultMaxKeyLen,
		maxEntries: DefaultMaxEntries,
		maxRates:   DefaultMaxRates,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.clock == nil {
		c.clock = core.WallClock{}
	}
	switch c.algName {
	case "", ratelimit.SlidingWindowLog:
		c.alg = algLog
	case ratelimit.GCRA:
		c.alg = algGCRA
	case ratelimit.SlidingWindowCounter:
		c.alg = algCounter
	default:
		return c, fmt.Errorf("%w: mpstore: unknown algorithm %q", ratelimit.ErrInvalidArgument, c.algName)
	}
	switch {
	case c.maxKeys <= 0 || c.maxKeys > maxMaxKeys:
		return c, fmt.Errorf("%w: mpstore: maximum of %d keys is outside 1..%d", ratelimit.ErrInvalidArgument, c.maxKeys, maxMaxKeys)
	case c.maxKeyLen < minKeyLen || c.maxKeyLen > maxKeyLenCap:
		return c, fmt.Errorf("%w: mpstore: maximum key length %d is outside %d..%d", ratelimit.ErrInvalidArgument, c.maxKeyLen, minKeyLen, maxKeyLenCap)
	case c.maxEntries <= 0 || c.maxEntries > maxMaxEntries:
		return c, fmt.Errorf("%w: mpstore: maximum of %d entries per key is outside 1..%d", ratelimit.ErrInvalidArgument, c.maxEntries, maxMaxEntries)
	case c.maxRates <= 0 || c.maxRates > maxMaxRates:
		return c, fmt.Errorf("%w: mpstore: maximum of %d rates per key is outside 1..%d", ratelimit.ErrInvalidArgument, c.maxRates, maxMaxRates)
	}
	return c, nil
}

// WithAlgorithm sets the admission algorithm, which the file records.
// Default: [ratelimit.SlidingWindowLog] (also ""), the exact log, which
// keeps a ring of [WithMaxEntries] entries per key. [ratelimit.GCRA] and
// [ratelimit.SlidingWindowCounter] keep instead, per key and rate, the rate
// and a few numbers ([WithMaxRates]). An unknown algorithm makes [Open]
// fail with an error wrapping [ratelimit.ErrInvalidArgument].
func WithAlgorithm(a ratelimit.Algorithm) Option {
	return func(c *config) { c.algName = a }
}

// WithClock sets the clock takes are stamped with. Every process sharing a
// file must read the same clock domain. Default (and nil):
// [core.WallClock], Unix milliseconds, which every process of the host
// shares. Tests use a [core.FakeClock].
func WithClock(clock core.Clock) Option {
	return func(c *config) { c.clock = clock }
}

// WithMaxKeys sets the number of key slots in the file. A new key takes a
// free slot, or first releases the slots of idle keys (those whose state
// no longer counts for the rates of their last take); when none is idle,
// the take fails with [ErrFull] rather than forget a key that still
// counts. Lookups probe a table of exactly n slots, so keep some headroom:
// above three quarters full they slow down. Each slot costs 8 bytes of
// index plus its own size (see [WithMaxEntries] and [WithMaxRates]), all
// reserved on the file system by [Open]. Default: [DefaultMaxKeys]; at
// most 4194304.
func WithMaxKeys(n int) Option {
	return func(c *config) { c.maxKeys = n }
}

// WithMaxKeyLen sets the longest key, in bytes, stored as it is; each slot
// spends 8 bytes plus n rounded up to 8 on its key. A longer key is stored
// as its SHA-256 digest and its length: two keys collide only if they have
// the same length and the same digest, which no one has ever been known to
// find. Default: [DefaultMaxKeyLen]; between 32 and 4096.
func WithMaxKeyLen(n int) Option {
	return func(c *config) { c.maxKeyLen = n }
}

// WithMaxEntries sets how many entries the log ([ratelimit.SlidingWindowLog])
// keeps per key: an entry is the units admitted in one millisecond, and
// costs 16 bytes of each slot, which also holds 72 bytes of log header
// (the key's block included) and the key (a slot is 8448 bytes with the
// defaults). A key's rates need at
// most min(limit, interval in ms + 1) entries of their longest rate: a take
// whose rates need more is an error wrapping [ratelimit.ErrInvalidArgument]
// naming both numbers. Default: [DefaultMaxEntries]; at most 4194304.
// Unused under GCRA and the counter.
func WithMaxEntries(n int) Option {
	return func(c *config) { c.maxEntries = n }
}

// WithMaxRates sets how many rates per key a slot holds state for under
// [ratelimit.GCRA] (64 bytes per rate: two copies of the rate and its
// state) or [ratelimit.SlidingWindowCounter] (80 bytes per rate); a slot
// also holds the key and 104 bytes, the key's block in each copy included
// (a slot is 512 bytes under GCRA with the defaults). A take with more rates is an error wrapping
// [ratelimit.ErrInvalidArgument]. Default: [DefaultMaxRates]; at most 64.
// Unused under the log, which takes any number of rates.
func WithMaxRates(n int) Option {
	return func(c *config) { c.maxRates = n }
}
