// Package memorystore keeps rate-limit state in process memory: exact, with
// no allocation per put once warm, and bounded under key churn.
//
// [New] returns a [Store], a [ratelimit.Factory] that gives every key its own
// sliding-window log, spread over independently locked shards; a background
// sweeper drops idle keys and [WithMaxKeys] caps how many it holds.
// [NewBucket] returns a single [Bucket] (PyrateLimiter's InMemoryBucket).
// [NewLimiter] is the one-call limiter over a new Store.
//
// State lives in one process; it is lost when the process exits.
package memorystore
