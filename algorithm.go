package ratelimit

// Algorithm names an admission algorithm. A store is made for one (each
// store's WithAlgorithm option); every store implements each algorithm with
// the same rules, window edges included, and package ratelimittest holds
// them to it. The zero value is [SlidingWindowLog].
type Algorithm string

// The algorithms. Package core implements each, for store authors.
const (
	// SlidingWindowLog is the default: the exact sliding-window log. A unit
	// admitted at time ts counts while ts >= now - interval (both window edges
	// included); a rate admits a weight while fewer than limit - weight + 1
	// units count. It keeps a timestamp per admitted unit, up to the largest
	// limit per key.
	SlidingWindowLog Algorithm = "sliding-window-log"
	// GCRA is the token bucket in one number per rate: a burst of limit,
	// refilled at one unit per interval/limit; any span t of time, both ends
	// included, admits at most limit + floor(t / (interval/limit)) units.
	GCRA Algorithm = "gcra"
	// SlidingWindowCounter weighs the previous fixed window's count by how
	// much of it the sliding window still covers, in three numbers per rate;
	// exact for evenly spread traffic, up to 2×limit−1 units in a window at
	// worst.
	SlidingWindowCounter Algorithm = "sliding-window-counter"
)
