// Package ratelimit is an exact, multi-rate rate limiter: several limits per
// key enforced together, weights, non-blocking and blocking admission, over
// pluggable stores.
//
// The pieces:
//   - [Rate] is Limit units per Interval; [Rates] is a validated list of them,
//     enforced together ([NewRates], [ParseRates]: "10/s, 1000/h").
//   - [Limiter] is the entry point: [Limiter.AllowN] decides at once,
//     [Limiter.WaitN] waits as needed, bounded by its context. It owns the
//     rates, or picks them per key ([WithRatesFor]), and can change them at
//     run time ([Limiter.SetRates]).
//   - [Store] keeps each key's state: one method, Take, that takes n units
//     under a key against a rate list, atomically, and returns the
//     [Decision]. Package memorystore (in this module) and one module per
//     server store implement it; package core holds the algorithms they run.
//   - [Wrap] and [WrapValue] guard functions with a limiter.
//
// A denial is a Decision with Allowed false, never an error. Errors report
// bad input (wrapping [ErrInvalidRate], [ErrInvalidArgument]), store failures,
// and waits given up ([*LimitError] wrapping [ErrExceedsLimit] or
// [ErrWaitTooLong]).
//
// Everything in the package is safe for concurrent use. It has no global
// state.
package ratelimit
