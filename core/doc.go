// Package core holds the decision algorithms every store of
// github.com/gorate/ratelimit runs, for store authors: the exact
// sliding-window log ([DecideLog] over a store's [WindowLog]), and GCRA and
// the sliding-window counter over a key's [State], with exact integer
// arithmetic; and the clocks stores stamp takes with.
//
// Users of the limiter do not need this package: they pick an algorithm with
// a store's option ([github.com/gorate/ratelimit.Algorithm]). Stores that
// decide on a server (Lua in Redis, SQL in PostgreSQL) mirror these
// functions, and package ratelimittest holds every store to them.
package core
