package mpstore

import (
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// An Option configures a [Store]. Options are made by the With functions.
//
// Every process that opens one file must pass the same capacities
// ([WithMaxKeys], [WithMaxEntries], [WithMaxKeyLen]) and rates: they fix the
// file's layout, and [Open] refuses a file laid out otherwise.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	algorithm  ratelimit.Algorithm
	alg        algorithm
	clock      ratelimit.Clock
	maxKeys    int
	maxEntries int
	maxKeyLen  int
	maxWeight  int64 // the smallest rate's limit: no entry of the log holds more
}

// Bounds of the capacities, so that a file stays mappable.
const (
	maxMaxKeys    = 1 << 22
	maxMaxEntries = 1 << 22
	minKeyLen     = 32 // a SHA-256 digest must fit
	maxKeyLenCap  = 4096
	maxFileSize   = 1 << 40
)

func newConfig(rates ratelimit.Rates, opts []Option) (config, error) {
	c := config{
		clock:      ratelimit.WallClock{},
		maxKeys:    DefaultMaxKeys,
		maxEntries: DefaultMaxEntries(rates),
		maxKeyLen:  DefaultMaxKeyLen,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	switch {
	case c.clock == nil:
		return c, fmt.Errorf("%w: mpstore: clock is nil", ratelimit.ErrInvalidArgument)
	case c.maxKeys <= 0 || c.maxKeys > maxMaxKeys:
		return c, fmt.Errorf("%w: mpstore: maximum of %d keys is outside 1..%d", ratelimit.ErrInvalidArgument, c.maxKeys, maxMaxKeys)
	case c.maxEntries <= 0 || c.maxEntries > maxMaxEntries:
		return c, fmt.Errorf("%w: mpstore: maximum of %d entries per key is outside 1..%d", ratelimit.ErrInvalidArgument, c.maxEntries, maxMaxEntries)
	case c.maxKeyLen < minKeyLen || c.maxKeyLen > maxKeyLenCap:
		return c, fmt.Errorf("%w: mpstore: maximum key length %d is outside %d..%d", ratelimit.ErrInvalidArgument, c.maxKeyLen, minKeyLen, maxKeyLenCap)
	}
	if len(rates) > 0 {
		c.maxWeight = rates.Smallest().Limit
	}
	var err error
	c.alg, err = parseAlgorithm(c.algorithm, rates)
	return c, err
}

// WithAlgorithm sets the admission algorithm, which the file records: every
// process opening it must pass the same, or [Open] refuses the file.
// Default: [ratelimit.AlgorithmSlidingWindowLog], the exact
// [ratelimit.SlidingWindowLog], which keeps a ring of up to
// [WithMaxEntries] entries (17 bytes each) and 8 name records per key.
//
// [ratelimit.AlgorithmGCRA] ([ratelimit.GCRA]) keeps per key and rate a
// theoretical arrival time and its remainder, 16 bytes;
// [ratelimit.AlgorithmSlidingWindowCounter]
// ([ratelimit.SlidingWindowCounter]) a window start and two counts, 24
// bytes. Each key slot holds two copies of that state and the key, so a
// slot is about 200 bytes with the default key length and one rate,
// whatever the traffic ([WithMaxEntries] is then unused). Under either, a
// key's view reports Peek as an error wrapping [ratelimit.ErrNoHistory],
// Count as what the largest rate still counts at the store's time, and
// Leak drops the keys that count nothing any more.
//
// An unknown algorithm is an error wrapping [ratelimit.ErrInvalidArgument];
// rates the algorithm cannot compute exactly fail its Validate (wrapping
// [ratelimit.ErrInvalidRates]).
func WithAlgorithm(a ratelimit.Algorithm) Option {
	return optionFunc(func(cfg *config) { cfg.algorithm = a })
}

// DefaultMaxKeys is the number of key slots a file holds unless [WithMaxKeys]
// says otherwise.
const DefaultMaxKeys = 4096

// DefaultMaxKeyLen is the longest key stored as it is unless
// [WithMaxKeyLen] says otherwise.
const DefaultMaxKeyLen = 128

// DefaultMaxEntries returns the number of entries per key a file holds for
// rates unless [WithMaxEntries] says otherwise: twice what a key used
// through [Store.Acquire] can need, capped at 65536. An entry is a run of
// units put at one millisecond under one name, and every unit stored inside
// the largest window was admitted by its rate, so a key needs at most the
// largest rate's limit in entries, and at most one per millisecond of its
// window (plus one, the edges being inclusive). The headroom keeps units
// that left the window until a leak, as the memory store does, instead of
// dropping them to make room at every put.
func DefaultMaxEntries(rates ratelimit.Rates) int {
	n := int64(1 << 15)
	if len(rates) > 0 {
		r := rates.Largest()
		n = min(n, r.Limit, r.IntervalMillis()+1)
	}
	return int(2 * max(n, 1))
}

// WithClock sets the clock units are stamped with. Every process sharing a
// file must read the same clock domain. Default: [ratelimit.WallClock], Unix
// milliseconds, which every process of the host shares. Tests use a
// [ratelimit.FakeClock].
func WithClock(c ratelimit.Clock) Option {
	return optionFunc(func(cfg *config) { cfg.clock = c })
}

// WithMaxKeys sets the number of key slots in the file. A new key takes a
// free slot, or first releases the slots of idle keys (those with no unit
// inside the largest window, whose loss changes no decision); when none is
// idle, the put fails with [ErrFull] rather than forget a key that still
// counts. Lookups probe a table of exactly n slots, so keep some headroom:
// above three quarters full they slow down. A slot costs about
// 1.2 KB plus 17 bytes per entry ([WithMaxEntries]) of file, all reserved
// on the file system by [Open]. Default: [DefaultMaxKeys]; at most 4194304.
func WithMaxKeys(n int) Option {
	return optionFunc(func(cfg *config) { cfg.maxKeys = n })
}

// WithMaxEntries sets how many entries one key's ring holds. Units put under
// one name in one millisecond share an entry. When a key's ring is full of
// entries still inside the largest window, a put that would be admitted
// fails with [ErrFull] instead. Default: [DefaultMaxEntries] of the rates;
// at most 4194304.
func WithMaxEntries(n int) Option {
	return optionFunc(func(cfg *config) { cfg.maxEntries = n })
}

// WithMaxKeyLen sets the longest key, in bytes, stored as it is. A longer
// key is stored as its SHA-256 digest and its length: two keys collide only
// if they have the same length and the same digest, which no one has ever
// been known to find, so it is collision-free in practice. Default:
// [DefaultMaxKeyLen]; between 32 and 4096.
func WithMaxKeyLen(n int) Option {
	return optionFunc(func(cfg *config) { cfg.maxKeyLen = n })
}
