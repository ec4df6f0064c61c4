// Package redisstore keeps rate-limit state in Redis through
// github.com/redis/go-redis/v9: exact across every process and host that
// shares the server, on a single node, a Sentinel group or a Cluster.
//
// [New] returns a [Store], a [ratelimit.Factory] that keeps every name's
// state in one key; [Store.Bucket] returns a name's [ratelimit.Bucket].
// [NewLimiter] is the one-call limiter over a new Store.
//
// The default algorithm is the exact [ratelimit.SlidingWindowLog], a sorted
// set per name holding its admitted units. [WithAlgorithm] selects instead
// [ratelimit.GCRA] (16 bytes of state per rate) or
// [ratelimit.SlidingWindowCounter] (24 bytes per rate): one small string
// per name whatever the traffic, for limits like 1000/hour on a million
// clients, where a log would hold a billion entries. Under them Peek fails
// with [ratelimit.ErrNoHistory].
//
// Each decision is one round trip: an embedded Lua script, sent by EVALSHA
// (and by EVAL when the server answers NOSCRIPT, as after a restart), reads
// the server's clock, applies the algorithm's rules exactly as the core
// does and stores the result atomically (GCRA and the counter: TIME, GET
// and SET, three calls in all). Time comes from the server, so application
// hosts with skewed clocks still agree; PutNow and Acquire stamp with the
// clock of the server that holds the name's key. Keys expire once they
// count nothing (the log: after its newest unit's largest interval, plus at
// most max(10ms, 1% of that interval); GCRA and the counter: exactly when
// the state is idle), so idle names cost nothing.
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
// too) resets the limits of the names it evicts, and admits more than the
// rates allow. Give the store a server under maxmemory-policy noeviction,
// or a Redis of its own. A server at its maxmemory under noeviction
// answers a put it would have stored with an error wrapping [ErrServer]
// (and go-redis's OOM error), never an admission; denials still work.
//
// Names may hold any bytes: a name's key is prefix{h}name with h a hash of
// the name as the Cluster hash tag (see [WithPrefix]), and the key spells
// the whole name, so no two names share state.
package redisstore
