// Package redisstore keeps rate-limit state in Redis through
// github.com/redis/go-redis/v9: exact across every process and host that
// shares the server, on a single node, a Sentinel group or a Cluster.
//
// [New] returns a [Store], a [ratelimit.Store] (with Check, Reset,
// Refund and Charge, a [ratelimit.Settler], and TakeBlocking and Block, a
// [ratelimit.Blocker], whose blocks are kept on the server beside the
// keys' state) for any number of limiters: the rates come with each call.
//
//	store, err := redisstore.New(client)
//	limiter, err := ratelimit.New(store, ratelimit.PerSecond(10), ratelimit.PerHour(1000))
//
// The default algorithm is the exact [ratelimit.SlidingWindowLog], a sorted
// set per key holding its admitted units. [WithAlgorithm] selects instead
// [ratelimit.GCRA] or [ratelimit.SlidingWindowCounter]: one small string per
// key whatever the traffic, for limits like 1000/hour on a million clients,
// where a log would hold a billion entries.
//
// Each decision, a refund's, a charge's and a blocked take's too, is one
// embedded Lua script, sent by EVALSHA (and by EVAL when the server answers NOSCRIPT, as
// after a restart), that reads the server's clock, applies the algorithm's
// rules exactly as package core does and stores the result atomically; the
// Decision's At is the server's clock when it decided. A Block is the same
// script's operation "hold", which blocks the key from the server's clock
// as core.BlockState.Hold does. Time comes from the server, so
// application hosts with skewed clocks still agree. Keys expire once they
// count nothing (the log: after its newest unit's largest interval, plus at
// most max(10ms, 1% of that interval); GCRA and the counter: exactly when
// the state is idle), so idle keys cost nothing.
//
// Concurrent decisions on one Store share round trips. A decision made
// while no batch of the Store is in flight and none waits goes out at once,
// alone: one round trip, nothing waits for company. Decisions made
// meanwhile queue, and while fewer than two batches are in flight, the
// queue (up to 64 decisions, see [WithMaxBatch]) goes out as one pipeline:
// one write and one read for all of them (go-redis splits it by node on a
// Cluster or a Ring). Each decision is still its own script, run
// atomically, and gets its own decision or error, but for takes of one key
// against the same rates: a batch sends those as one script, which decides
// them in turn at one time, each exactly as it would be decided alone after
// the ones before it, and stores their units at once, so a key taken from
// many goroutines costs the server one script a batch, not one a take. A
// Store runs no goroutine between calls: the callers lead their batches,
// and only a batch in flight (at most two) may run on a goroutine, which
// ends with it. go-redis hooks see a lone decision as a command
// (ProcessHook) and a batch as a pipeline (ProcessPipelineHook).
//
// A call under a context with a deadline returns when the context is done
// (at the deadline or a cancellation), whatever the client's options
// (go-redis bounds a read by ReadTimeout, not by the deadline, unless
// ContextTimeoutEnabled is set): its error then wraps [ErrServer] and the
// context's error. So does a call in a batch of more than one under any
// context. Such calls wait while their command runs on a goroutine of its
// batch; the command they abandon ends on its own (when the server
// answers, at the client's ReadTimeout or DialTimeout, or when the client
// is closed) and may still take effect on the server, and until then its
// batch stays in flight, holding one pooled connection (per node), so
// abandoned calls hold no more than two per Store (per node). A batch of one runs
// under its call's context; a larger one under a context that carries the
// values of the context of its first call, the latest deadline of its
// calls (none if one of them has none) and none of their cancellations, and
// is cancelled once every call in it has returned: one caller giving up
// never fails the others. A call that goes out alone under a context
// without a deadline runs on the caller's goroutine, bounded by the
// client's own timeouts like any go-redis command: a cancellation ends it
// at the latest when the client's ReadTimeout or DialTimeout does. Under
// [WithMaxBatch](1) every call goes out alone at once, each under a
// deadline on a goroutine of its own (so abandoned calls hold up to the
// client's PoolSize connections).
//
// The keys are the limits: a server that evicts them (maxmemory-policy
// allkeys-lru, volatile-lru or any other policy but noeviction; every key
// the store writes has an expiry, so the volatile-* policies choose them
// too) resets the limits of the keys it evicts, and admits more than the
// rates allow. Give the store a server under maxmemory-policy noeviction,
// or a Redis of its own. A server at its maxmemory under noeviction
// answers a take it would have stored with an error wrapping [ErrServer]
// (and go-redis's OOM error), never an admission; denials still work.
package redisstore
