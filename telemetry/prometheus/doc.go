// Package promlimit exports the decisions of ratelimit limiters as
// Prometheus metrics: an [Observer] given to limiters with
// ratelimit.WithObserver counts what they decide and how long their store
// takes.
//
//	obs, err := promlimit.New(prometheus.DefaultRegisterer)
//	api, err := ratelimit.New(store, ratelimit.PerSecond(10),
//		ratelimit.WithName("api"), ratelimit.WithObserver(obs))
//
// # Metrics
//
//   - ratelimit_decisions_total{limiter, policy, outcome, rate}: counter of
//     the decisions a store made (events with no error). policy is
//     "enforce", "dry_run" or "shadow" (ratelimit.Policy.String), outcome is
//     "allowed" or "denied" (Decision.Allowed, as the store decided it: a
//     dry-run denial counts as denied though the caller was admitted), rate
//     is the deciding rate (Decision.Rate.String: "10/s", "5/min").
//   - ratelimit_store_errors_total{limiter, policy}: counter of the calls
//     whose store (or WithRatesFor function) failed (events with an error).
//     policy "enforce": the error was returned to the caller; "fail_open":
//     the caller was admitted anyway; "shadow": a shadow limiter failed,
//     which changed nothing for the caller.
//   - ratelimit_fail_open_passes_total{limiter}: counter of the callers
//     admitted through a failure (error and policy "fail_open"); each is
//     also counted in ratelimit_store_errors_total{policy="fail_open"}.
//   - ratelimit_store_duration_seconds{limiter}: histogram of the time the
//     store took to answer (Event.Latency), failures included. A limiter
//     does not time a ratelimit.Local store, such as the memory store: its
//     events have a Latency of 0 and are not observed, so a limiter over
//     the memory store has no duration series. The default buckets suit
//     store round trips, from 100µs to 1s: 0.0001, 0.00025, 0.0005, 0.001,
//     0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5 and 1 seconds; see
//     [WithBuckets].
//   - ratelimit_fallback_switches_total{limiter, to}: counter of the
//     switches of a fallback store (package store/fallback; events of
//     Policy ratelimit.Fallback): to="local" when its primary store failed,
//     to="primary" when it returned. limiter is the fallback store's name
//     (fallback.WithName).
//   - ratelimit_fallback_active{limiter}: gauge, 1 from a fallback store's
//     switch to its local store, 0 from its return to the primary.
//
// The events of a fallback store are switches, not decisions: they count in
// no other metric.
//
// limiter is the limiter's name (ratelimit.WithName), "" when it has none.
// A series appears when its first event is observed.
//
// # Cardinality
//
// The number of series is bounded whatever the traffic. Keys never appear
// in a label, even when the limiter was built ratelimit.WithObservedKeys.
// The first 64 distinct limiter names an Observer sees get a limiter label
// each; every later name is counted as limiter="other" (as is a limiter
// named "other"). Within each limiter label, the first 32 distinct deciding
// rates get a rate label each; every later one is counted as rate="other",
// so that per-key plans (ratelimit.WithRatesFor) cannot multiply series.
// So ratelimit_decisions_total has at most 65 × 33 × 3 × 2 = 12,870 series,
// ratelimit_store_errors_total at most 65 × 3,
// ratelimit_fallback_switches_total at most 65 × 2, and the other three at
// most 65 each. The caches an Observer keeps to observe without allocating hold the same
// entries, so they are bounded by the same caps.
package promlimit
