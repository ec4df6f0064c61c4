// Package fallback keeps a rate limit standing when its store fails: a
// [Store] passes every call to a primary store (Redis, PostgreSQL, …) and,
// while the primary fails, decides with a local store under a share of the
// limits, instead of admitting everyone (fail-open) or no one (fail-closed).
//
//	primary, _ := redisstore.New(rdb)
//	store, _ := fallback.New(primary, 4) // 4 processes share rdb
//	api, _ := ratelimit.New(store, ratelimit.PerSecond(100))
//
// # Switching
//
// Only a failure of the primary switches: an error other than bad input
// (one wrapping [ratelimit.ErrInvalidArgument] or [ratelimit.ErrInvalidRate]),
// [ratelimit.ErrClosed], or an error while the caller's own context is done;
// those are returned as they are. A denial is a decision, never a failure.
// Each call to the primary is bounded by a timeout ([WithTimeout], default
// [DefaultTimeout]), so that a hung primary fails the call after at most
// that long; the caller's own deadline still bounds the call, and its
// expiry is the caller's error. The call that failed is decided by the
// local store, as is every call after it: none goes to the primary until
// the probe interval ([WithProbeInterval], default [DefaultProbeInterval])
// has passed; then the first call is sent to the primary, and if it
// succeeds its decision is returned and the store returns to the primary;
// if it fails, the local store decides it and the next interval starts.
// The Store runs no goroutine: probes ride on calls, so a Store nobody calls
// does not probe.
//
// Every switch is reported once to the observers given [WithObserver]: an
// Event of Policy [ratelimit.Fallback], with the primary's error when the
// store switched to its local store and no error when it returned to the
// primary. The telemetry packages count them.
//
// # Limits while failing
//
// A fallback store is built for instances processes sharing the primary,
// each with a fallback store of its own. While failing, each decides alone
// under its share: every rate's limit divided by instances, rounded down,
// at least 1 (lowered further where rounding would make the list invalid;
// never raised). So, for each rate of Limit L and interval I, within any
// span of I:
//
//   - the local stores of the fleet admit at most
//     instances × max(1, floor(L/instances)) units, which is at most L when
//     L ≥ instances;
//   - the fleet as a whole admits at most that plus what the primary
//     admitted inside the span (before the switch, or after the return),
//     itself at most L: so at most 2L across a switch when L ≥ instances,
//     and at most L in a span every instance spends failing.
//
// The local store knows nothing of what the primary admitted, nor the
// primary of what the local stores admitted. A call that timed out may
// still have been taken by the primary: it then counts there, as well as in
// the local store that decided it, never admitting anyone twice.
//
// The limiter above a fallback store sees the local decisions as ordinary
// decisions: their Rate is the share (50/s for 100/s over 2 instances), so
// headers tell the limit applied. Its observers see them as the decisions
// they are; the switches are reported only by the fallback store.
package fallback
