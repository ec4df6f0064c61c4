// Package redisstore keeps rate-limit state in Redis through
// github.com/redis/go-redis/v9: exact across every process and host that
// shares the server, on a single node, a Sentinel group or a Cluster.
//
// [New] returns a [Store], a [ratelimit.Factory] that keeps every name's log
// in one sorted set; [Store.Bucket] returns a name's [ratelimit.Bucket].
// [NewLimiter] is the one-call limiter over a new Store.
//
// Each decision is one round trip: an embedded Lua script, sent by EVALSHA
// (and by EVAL when the server answers NOSCRIPT, as after a restart), reads
// the server's clock, applies the rules of [ratelimit.SlidingWindowLog] and
// stores the units atomically. Time comes from the server, so application
// hosts with skewed clocks still agree; PutNow and Acquire stamp with the
// clock of the server that holds the name's key. Keys expire after the
// largest interval, so idle names cost nothing.
//
// Names may hold any bytes: a name's key is prefix{h}name with h a hash of
// the name as the Cluster hash tag (see [WithPrefix]), and the key spells
// the whole name, so no two names share state.
package redisstore
