// Package redisstore keeps rate-limit state in Redis through
// github.com/redis/go-redis/v9: exact across every process and host that
// shares the server, on a single node, a Sentinel group or a Cluster.
//
// [New] returns a [Store], a [ratelimit.Store] (with Check and Reset) for
// any number of limiters: the rates come with each call.
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
// Each decision is one round trip: an embedded Lua script, sent by EVALSHA
// (and by EVAL when the server answers NOSCRIPT, as after a restart), reads
// the server's clock, applies the algorithm's rules exactly as package core
// does and stores the result atomically. Time comes from the server, so
// application hosts with skewed clocks still agree. Keys expire once they
// count nothing (the log: after its newest unit's largest interval, plus at
// most max(10ms, 1% of that interval); GCRA and the counter: exactly when
// the state is idle), so idle keys cost nothing.
//
// A call under a context with a deadline returns when the context is done
// (at the deadline or a cancellation), whatever the client's options
// (go-redis bounds a read by ReadTimeout, not by the deadline, unless
// ContextTimeoutEnabled is set): its error then wraps [ErrServer] and the
// context's error. Such a call runs on a goroutine of its own; the command
// it abandons ends on its own (when the server answers, at the client's
// ReadTimeout or DialTimeout, or when the client is closed), holding one
// pooled connection until then, so there are never more of them than the
// client's PoolSize, and may still take effect on the server. A call under
// a context without a deadline runs on the caller's goroutine, bounded by
// the client's own timeouts like any go-redis command: a cancellation ends
// it at the latest when the client's ReadTimeout or DialTimeout does.
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
