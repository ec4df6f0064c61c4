// Package ratelimit is the core of an exact, multi-rate rate limiter: several
// limits per name enforced together, weights, non-blocking and blocking
// acquire, over pluggable stores. It carries the ideas of Python's
// PyrateLimiter to Go.
//
// The pieces:
//
//   - [Rate] is Limit units per Interval; [Rates] is a validated list of them,
//     enforced together ([NewRates], [ParseRates]: "10/s, 1000/h").
//   - [Bucket] holds the log of admitted units of one limited resource and
//     decides each put atomically, returning a [Decision] (allowed, the
//     deciding rate, remaining units, retry-after, reset-after).
//   - [Factory] routes names to buckets (PyrateLimiter's BucketFactory). Stores
//     implement both: package memorystore in this module, and one module per
//     server store.
//   - [Limiter] is the entry point: [Limiter.AllowN] decides at once,
//     [Limiter.WaitN] waits as needed, bounded by its context.
//   - [Wrap] and [WrapValue] guard functions with a limiter.
//   - [SlidingWindowLog] is the default algorithm of every store: an exact
//     sliding-window log with an inclusive window edge. [GCRA] (the token
//     bucket: a burst of limit, up to 2×limit units in one window of an
//     interval, both edges included) and
//     [SlidingWindowCounter] (two weighted fixed windows) keep a few numbers
//     per rate instead ([KeyState]); every store offers them through its
//     WithAlgorithm option.
//   - [Leaker] leaks buckets in the background, [MonotonicClock],
//     [WallClock] and [FakeClock] tell time in milliseconds.
//
// A denial is a [Decision] with Allowed false, never an error. Errors report
// bad input (wrapping [ErrInvalidRate], [ErrInvalidRates], [ErrInvalidWeight],
// [ErrInvalidArgument]), store failures, and waits given up
// ([*LimitError] wrapping [ErrExceedsLimit] or [ErrWaitTooLong]).
//
// Everything in the package is safe for concurrent use. The one piece of
// global state is the default limiter of [SetDefault].
package ratelimit
