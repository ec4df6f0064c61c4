// Package denialcache puts an exact cache of denials in front of a
// [ratelimit.Store], so that a key hammered far past its limit costs a map
// lookup per denial instead of a round trip to Redis or PostgreSQL.
//
//	shared, err := redisstore.New(rdb)
//	...
//	store, err := denialcache.New(shared)
//	...
//	limiter, err := ratelimit.New(store, ratelimit.PerSecond(10))
//
// # When a denial holds
//
// A store that denies n units under a key with RetryAfter R, in a call that
// started at time t, says that n units cannot fit before t+R: under every
// algorithm, the units a key counts only leave with time, and a take by
// anyone else only adds units, so the earliest time a weight fits never
// comes sooner than the store said, and a larger weight never fits sooner
// than a smaller one:
//   - the sliding-window log counts each admitted unit until its interval
//     has passed; R is when the unit that blocks the weight leaves;
//   - GCRA's theoretical arrival time only moves forward with admissions;
//     R is when it is one interval ahead of the clock by less than the weight;
//   - the sliding-window counter's estimate only falls with time between
//     admissions; R is the first millisecond it leaves room for the weight.
//
// So until t+R the Store answers every take (and check) of at least n units
// under the key against the same rates with a denial of its own, without
// calling the inner store, and every other call goes to the inner store. A
// denial with RetryAfter [ratelimit.Never] (the weight exceeds a limit)
// holds for as long as it is cached. An allowed take, a take of fewer units
// and a take under other rates go to the inner store; a take under other
// rates, of any weight (none too), also drops the key's cached denial,
// since a change of rates changes what the state counts (see
// [ratelimit.Store]).
//
// This holds as long as every process that takes from the shared store a
// key's units takes them against the same rates, and no one outside this
// Store resets the key or refunds its units: a reset, a refund or a change
// of the key's rates made elsewhere is seen here only when the cached
// denial ends. [Store.Reset] and [Store.Refund] drop the key's cached
// denial at once; a charge only adds units and keeps it, unless it is
// under other rates: then it drops it, as a take under other rates does.
//
// A block ([ratelimit.Block]) only ends with time or a reset, so a block's
// denial holds like any other: [Store.TakeBlocking] caches it, and no
// other denial of its own, since the inner store counts those toward the
// next block. Take and TakeBlocking never answer each other from the cache:
// Take does not see blocks.
//
// The inner store and the Store read different clocks (a server's and the
// process's): each cached denial ends a millisecond before t+R, to cover
// the inner store's rounding to its millisecond, and the clocks must run at
// the same speed (any drift over R is not covered).
//
// # The cached Decision
//
// A denial answered from the cache is the inner store's Decision with its
// waits shortened by the time since the call it came from: RetryAfter and
// ResetAfter are as many milliseconds less (rounded up). Rate and Remaining
// are those of that call. If takes were admitted meanwhile elsewhere, the
// inner store would report a later RetryAfter and fewer Remaining; for a
// weight larger than the cached one, RetryAfter is a lower bound too.
//
// The cache holds at most [WithMaxKeys] denials. It never holds an
// admission, so it never admits anything: everything it answers, the inner
// store would have denied.
package denialcache
