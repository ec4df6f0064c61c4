// Package memorystore keeps rate-limit state in process memory: exact, with
// no allocation per take once a key is warm, and bounded under key churn with
// no goroutine and nothing to close.
//
// [New] returns a [Store], a [ratelimit.Store] that gives every key its own
// state under one algorithm, spread over independently locked shards. One
// store serves any number of limiters and rates:
//
//	store, _ := memorystore.New()
//	lim, _ := ratelimit.New(store, ratelimit.PerSecond(10))
//
// State lives in one process; it is lost when the process exits.
package memorystore
