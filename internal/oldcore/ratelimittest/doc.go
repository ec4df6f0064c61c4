// Package ratelimittest is the conformance suite every bucket and factory of
// github.com/gorate/ratelimit passes, and that a third-party store can run
// too. It uses only the standard testing package.
//
// A store's test makes a [Harness] and calls [Run]:
//
//	func TestConformance(t *testing.T) {
//		ratelimittest.Run(t, ratelimittest.Harness{
//			NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
//				b, err := mystore.NewBucket(rates)
//				if err != nil {
//					t.Fatal(err)
//				}
//				return b
//			},
//		})
//	}
//
// The cases pin down the exact sliding-window log of
// [ratelimit.SlidingWindowLog]: the inclusive window edge (with Rate(3, 1s)
// and units at 0, 300 and 600ms, a put at 1000ms is denied and one at 1001ms
// allowed), the first denying rate of a multi-rate list, all-or-nothing
// weights, retry-after to the millisecond, leak, flush, count, peek, bad
// input, idempotent close, name isolation, and exactness under 64 concurrent
// goroutines. Time comes from explicit timestamps wherever the bucket takes
// them, and from the store's own clock where it must.
package ratelimittest
