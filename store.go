package ratelimit

import "context"

// Store keeps the state of many keys and decides takes against it. It is the
// one method a store implements; package ratelimittest checks that it does so
// exactly, with every [Algorithm] it offers.
//
// Take takes n units under key against rates, all or none, atomically: no
// interleaving of takes from any goroutine, process or host sharing the
// store's state ever admits more than a rate allows. It returns the
// [Decision] computed in that same step, stamped with the store's clock (a
// server store's: the server's). n = 0 consumes nothing and reports the
// key's standing; a negative n is an error wrapping [ErrInvalidArgument].
// rates is a valid list (as [NewRates] makes it); a store keeps no rates of
// its own, so one store serves any number of limiters and plans. A denial is
// a Decision, not an error: errors are for bad input and store failures.
//
// Rates may change from one take to the next for the same key (a limit raised
// or lowered at run time, a key moving to another plan). Every store follows
// the same rules, matching rates by interval:
//   - the sliding-window log judges any list against the units it holds, so
//     a changed limit is exact at once (a store holds units for the largest
//     interval of the key's last take, so a longer interval counts those);
//   - the sliding-window counter keeps, for each rate whose interval it
//     already has, the units counted in its windows, and judges them by the
//     new limit at once;
//   - GCRA keeps, for each rate whose interval it already has, the units
//     still owed (not yet emitted at the old rate), and emits them at the new
//     rate from the time of the take, so a changed limit judges the units
//     admitted before it, as the log does, until they are emitted;
//   - a rate with an interval the state does not have starts with no history,
//     and state for intervals no longer listed is dropped.
//
// State that no longer counts for any rate is the store's to drop: each store
// expires old state on its own (a TTL, a sweep inside its calls), so nothing
// outside it needs to run.
//
// A store may also implement [Checker], [Resetter], [Settler] and [Blocker],
// and [io.Closer] when it holds resources of its own. Implementations are
// safe for concurrent use.
type Store interface {
	Take(ctx context.Context, key string, rates Rates, n int64) (Decision, error)
}

// Checker is implemented by stores that can judge a take without making it:
// Check returns the Decision Take would return for n units under key, and
// consumes nothing.
type Checker interface {
	Check(ctx context.Context, key string, rates Rates, n int64) (Decision, error)
}

// Resetter is implemented by stores that can forget a key: after Reset, key
// has no history under any rates, and no block ([Blocker]).
type Resetter interface {
	Reset(ctx context.Context, key string) error
}

// Settler is implemented by stores that can settle a take after the fact:
// give back units it admitted, or charge units it could not know of, each
// atomically, under every algorithm the store offers.
//
// Refund gives back n units of the take of key that taken reports (an
// allowed Decision of the store's, named by its At), judged under rates:
// under the sliding-window log, n of the units stamped at At are removed
// (fewer if fewer remain); the sliding-window counter takes n units off
// the window holding At, if it still counts; GCRA moves its theoretical
// arrival time back by the part of the take not yet emitted, reckoned as if
// the take had found no backlog (exact when it found none, short by at most
// the backlog it found otherwise). A refund never leaves more room than the take
// used: units that no longer count (expired, or swept) are not given back
// again, and a take whose At lies ahead of the store's clock gets nothing
// back. A store cannot tell one take's units from another's taken in the
// same millisecond: refund each take at most once, at most the units it
// took.
//
// Charge takes n units under key against rates whatever the limits allow,
// such as the excess of an estimate settled after the work was done. It
// may overdraw a rate: the key's next takes are then denied, with a
// RetryAfter exact to the time the excess has expired.
//
// Both return the key's standing after the change, the Decision a take of
// 0 units would return: not allowed while a rate is overdrawn. n must be
// from 0 to the smallest limit; otherwise the error wraps
// [ErrInvalidArgument].
type Settler interface {
	Refund(ctx context.Context, key string, rates Rates, taken Decision, n int64) (Decision, error)
	Charge(ctx context.Context, key string, rates Rates, n int64) (Decision, error)
}

// Local is implemented by stores that decide in memory, in the caller's
// process, without I/O, such as the memory store. A limiter does not time
// their calls for its observers ([Event].Latency is 0): reading the clock
// twice would cost as much as the decision itself.
type Local interface {
	Store
	Local()
}
