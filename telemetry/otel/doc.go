// Package otellimit reports the decisions of rate limiters to OpenTelemetry:
// metrics through a [metric.MeterProvider], and attributes on the caller's
// span.
//
// Build one [Observer] with [New] and give it to every limiter with
// [ratelimit.WithObserver]; name each limiter with [ratelimit.WithName] so
// that its metrics can be told apart.
//
// # Metrics
//
// The meter is named "github.com/gorate/ratelimit/telemetry/otel". Names and
// units follow the OpenTelemetry semantic conventions; every attribute is
// namespaced "ratelimit.":
//
//   - ratelimit.decisions, an Int64Counter of unit {decision}: one per event
//     the store decided (Event.Err nil), whatever its weight, with the
//     attributes ratelimit.limiter, ratelimit.policy ("enforce", "dry_run",
//     "shadow"), ratelimit.outcome ("allowed" or "denied": the store's
//     decision, also under dry run, where the caller is admitted anyway) and
//     ratelimit.rate (the deciding rate, "10/s");
//   - ratelimit.store.errors, an Int64Counter of unit {error}: one per event
//     whose take failed (Event.Err set: the store's error, or the
//     [ratelimit.WithRatesFor] function's), with ratelimit.limiter and
//     ratelimit.policy ("enforce": returned to the caller; "fail_open": the
//     caller was admitted; "shadow");
//   - ratelimit.fail_open.passes, an Int64Counter of unit {request}: one per
//     failed take the caller was admitted through (Policy
//     [ratelimit.FailOpen]), with ratelimit.limiter;
//   - ratelimit.store.duration, a Float64Histogram of unit s: the time the
//     store took to answer, for every event with a positive
//     [ratelimit.Event].Latency (failed takes included), with
//     ratelimit.limiter. A [ratelimit.Local] store, such as the memory store,
//     is not timed: its events have Latency 0 and are not recorded;
//   - ratelimit.fallback.switches, an Int64Counter of unit {switch}: one per
//     switch of a fallback store (package store/fallback; an event of Policy
//     [ratelimit.Fallback]), with ratelimit.limiter (the fallback store's
//     name) and ratelimit.to ("local" when its primary failed, "primary"
//     when it came back);
//   - ratelimit.fallback.active, an Int64UpDownCounter of unit {store}: +1
//     on a switch to the local store, -1 on the return, with
//     ratelimit.limiter; so 1 while the store is on its local store, else 0
//     (a fallback store reports each switch once, in order).
//
// The events of a fallback store are switches, not decisions: they are
// recorded in no other instrument, and not on spans.
//
// # Cardinality
//
// Keys never appear in metrics ([ratelimit.Event].Key is ignored). The first
// 64 distinct limiter names an Observer sees keep their own
// ratelimit.limiter value; later ones are all reported as "other". Likewise
// the first 32 distinct rates of each limiter name (or of "other") keep their
// ratelimit.rate value, and later ones are reported as "other". So
// ratelimit.decisions has at most 65 × 33 × 3 × 2 series, whatever the keys
// and plans. The SDK's MeterProvider has a cardinality limit of its own, by
// default 2000 points per instrument (sdkmetric.WithCardinalityLimit), past
// which it reports an overflow point; raise it if that many limiters and
// rates are expected.
//
// # Spans
//
// When the context's span is recording, the Observer sets on it
// ratelimit.limiter, ratelimit.policy and ratelimit.weight, and, for a
// decided take, ratelimit.allowed (the store's decision), ratelimit.rate,
// ratelimit.remaining and, on a denial, ratelimit.retry_after_ms (rounded up;
// -1 for [ratelimit.Never]); for a failed take, ratelimit.error (the error's
// text) instead. It never sets the span's status: a limiter's failure is not
// necessarily the operation's. Shadow decisions are not put on spans: the
// span tells what the caller got. When several limiters decide within one
// span, each sets its attributes over the previous one's, and an attribute
// the last does not set stays (the ratelimit.error of an earlier failure). A
// span that is not recording costs no allocation. [WithoutSpans] turns this
// off.
package otellimit
