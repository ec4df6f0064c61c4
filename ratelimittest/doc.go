// Package ratelimittest is the conformance suite every [ratelimit.Store] of
// github.com/gorate/ratelimit passes, and that a store of your own can run
// too, with the standard testing package alone:
//
//	func TestConformance(t *testing.T) {
//		ratelimittest.Run(t, func(t *testing.T, alg ratelimit.Algorithm, clock core.Clock) ratelimit.Store {
//			s, err := mystore.New(mystore.WithAlgorithm(alg), mystore.WithClock(clock))
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// examples/customstore in the repository is a complete store with this
// harness.
//
// [Run] asks for a fresh, empty store per case, for each algorithm in turn
// (skip, with t.Skip, one your store does not offer), stamping takes with the
// clock it is given — a fake clock the suite moves — or, where the clock is
// nil, with the store's own. It closes the store (if it is an [io.Closer]) when
// the case ends.
//
// The cases pin down the exact sliding-window log (with 3/s and units at 0,
// 300 and 600ms, a take at 1000ms is denied and one at 1001ms allowed), the
// first denying rate of a multi-rate list, all-or-nothing weights, retry-after
// to the millisecond, GCRA and the sliding-window counter decision by decision
// against package core, what a change of rates does to a key's state, plans
// and several limiters over one store, any key (64 KiB of random bytes
// included), bad input, Check and Reset where the store has them, and
// exactness under 64 concurrent goroutines.
package ratelimittest
