// Package sloglimit logs the denials and store failures of rate limiters
// with [log/slog], at a rate of its own, so that an attack cannot flood the
// logs.
//
// Build one [Observer] with [New] and give it to limiters with
// [ratelimit.WithObserver]; name each limiter with [ratelimit.WithName], and
// build it [ratelimit.WithObservedKeys] to have keys in the records.
//
// # Records
//
// An Observer writes one record per event it logs, with
// [slog.Logger.LogAttrs] and the limiter call's context:
//
//	event                               level  message
//	store failure, returned (enforce)   ERROR  "rate limiter store failed"
//	store failure, admitted (fail_open) WARN   "rate limiter store failed"
//	store failure of a shadow (shadow)  WARN   "rate limiter store failed"
//	denial (enforce)                    INFO   "rate limit exceeded"
//	would-be denial (dry_run)           INFO   "rate limit would deny"
//	would-be denial (shadow)            INFO   "shadow rate limit would deny"
//	allowed decision                    -      not logged
//	fallback store to local (fallback)  WARN   "rate limiter store switched to local limits"
//	fallback store back (fallback)      INFO   "rate limiter store back on its primary"
//
// A store failure is an event whose Err is set: the store's error or the
// [ratelimit.WithRatesFor] function's. The levels say who bore it: ERROR when
// the caller got the error, WARN when the caller was admitted anyway
// ([ratelimit.WithFailOpen], [ratelimit.WithDryRun]) or the failure was a
// shadow's, which changes nothing for the caller.
//
// The last two are the switches of a fallback store (package
// store/fallback; events of Policy [ratelimit.Fallback]): to its local
// store because its primary failed, and back to the primary. Their records
// carry limiter (the fallback store's name), policy and, for a switch to
// local, error (the primary's failure); they are written whenever their
// level is enabled, outside the budgets below: a fallback store reports
// each switch once and stays on its local store at least a probe interval,
// so switches cannot flood the log.
//
// # Attributes
//
// Records of decisions and failures carry these attributes, in this order,
// under these names:
//
//   - limiter (string): the limiter's name, [ratelimit.Event].Limiter, ""
//     when it has none; always present;
//   - key (string): the caller's key, only when the event has one (the
//     limiter was built [ratelimit.WithObservedKeys]);
//   - weight (int64): the units asked for;
//   - policy (string): "enforce", "dry_run", "shadow" or "fail_open"
//     ([ratelimit.Policy.String]);
//   - rate (string): the deciding rate, "10/s" ([ratelimit.Rate.String]);
//     denials only;
//   - remaining (int64): the units that rate still admits; denials only;
//   - retry_after (duration): the time after which the weight would fit;
//     denials only, and absent when no wait can make it fit (RetryAfter is
//     [ratelimit.Never]: the weight exceeds the smallest limit), so that the
//     attribute is always a duration;
//   - error (error): the failure; failures only;
//   - suppressed (int64): present when events of the same kind were dropped
//     since the previous record of that kind (see below): how many.
//
// # Its own rate limit
//
// An Observer writes at most 10 records of failures and 10 records of
// denials per second, unless [WithRate] says otherwise. Failures and
// denials have a budget each, so that a flood of denials never hides a store
// failure. A budget counts windows of the rate's interval, each starting
// with the first event after the previous window ended; in a window, the
// first Limit events of the kind are written and the rest are dropped and
// counted. The next record of that kind carries the count as suppressed: each
// dropped event is counted once, by the first record of its kind written
// after it was dropped.
//
// An event at a level the logger does not enable is neither written nor
// counted, and costs no allocation; nor does a dropped event.
package sloglimit
