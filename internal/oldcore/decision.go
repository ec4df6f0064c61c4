package ratelimit

import (
	"math"
	"time"
)

// Never is the RetryAfter of a denial that no wait can cure: the weight is
// larger than the smallest limit.
const Never time.Duration = math.MaxInt64

// Decision is the outcome of one put, computed by the store in the same atomic
// step as the admission, so headers and waits need no second round trip.
//
// A denial is a Decision with Allowed false, never an error.
type Decision struct {
	// Allowed reports whether all the weight was admitted. Admission is
	// all-or-nothing: a denied put stores nothing.
	Allowed bool
	// Rate is the first rate (by ascending interval) that denied the put, or,
	// when allowed, the tightest rate: the one with the fewest units left.
	Rate Rate
	// Remaining is the number of units Rate still admits after this put. On a
	// denial it may be positive but smaller than the weight.
	Remaining int64
	// RetryAfter is 0 when allowed. On a denial it is the time after which the
	// same weight fits every rate if nothing else is admitted meanwhile, or
	// [Never] when the weight exceeds the smallest limit.
	RetryAfter time.Duration
	// ResetAfter is the time until Rate's window is empty again.
	ResetAfter time.Duration
	// Time is the timestamp the put was judged at, in milliseconds in the
	// bucket's clock domain.
	Time int64
}
