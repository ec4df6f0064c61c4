package ratelimit

import (
	"math"
	"strconv"
	"time"
)

// Never is the RetryAfter of a denial that no wait can cure: the weight is
// larger than the smallest limit.
const Never time.Duration = math.MaxInt64

// Decision is the outcome of one take, computed by the store in the same
// atomic step as the admission, so headers and waits need no second call.
//
// A denial is a Decision with Allowed false, never an error.
type Decision struct {
	// Allowed reports whether all the units were admitted. Admission is
	// all-or-nothing: a denied take consumes nothing.
	Allowed bool
	// notTaken marks an allowed Decision whose units the store did not
	// take: a dry run's admission of a denial. (Beside Allowed, it costs
	// the struct no room.)
	notTaken bool
	// _ keeps a Decision out of registers in calls and returns (an array
	// of more than one element never travels in registers). The compiler
	// keeps a struct of more than four fields in memory anyway: returned in
	// registers, a Decision is stored, copied and loaded again at every
	// layer; returned in memory, the store writes it in place.
	_ [2]struct{}
	// Blocked reports a denial by a block ([Block]): the key admits
	// nothing until RetryAfter has passed. Remaining is then 0, and
	// ResetAfter at least RetryAfter.
	Blocked bool
	// Rate is the first rate (by ascending interval) that denied the take,
	// or, when allowed, the tightest rate: the one with the fewest units left.
	Rate Rate
	// Remaining is the number of units Rate still admits after this take. On
	// a denial it may be positive but smaller than the weight.
	Remaining int64
	// RetryAfter is 0 when allowed. On a denial it is the time after which
	// the same weight fits every rate if nothing else is admitted meanwhile,
	// or [Never] when the weight exceeds the smallest limit.
	RetryAfter time.Duration
	// ResetAfter is the time until Rate counts no unit again.
	ResetAfter time.Duration
	// At is the store's clock reading when it decided, in milliseconds of
	// the store's own clock (a server store's: the server's). It names an
	// allowed take's units to [Limiter.Refund] and [Settler.Refund]. A
	// store that does not implement [Settler] may leave it 0.
	At int64
	// _ makes a Decision 64 bytes, four 16-byte words. The compiler copies
	// it word by word at each layer that returns it; 56 bytes end in two
	// overlapping words, and a load that straddles two of the last copy's
	// stores waits for them to complete instead of being forwarded from
	// them (TestDecisionSize holds the size).
	_ int64
}

// String describes d: "allowed by 10/s: 7 left, reset in 300ms", "denied
// by 10/s: 0 left, retry in 250ms, reset in 1s", or for a block "blocked
// by 10/s: 0 left, retry in 10m0s, reset in 10m0s".
func (d Decision) String() string {
	b := make([]byte, 0, 64)
	switch {
	case d.Allowed:
		b = append(b, "allowed by "...)
	case d.Blocked:
		b = append(b, "blocked by "...)
	default:
		b = append(b, "denied by "...)
	}
	b = append(b, d.Rate.String()...)
	b = append(b, ": "...)
	b = strconv.AppendInt(b, d.Remaining, 10)
	b = append(b, " left"...)
	if !d.Allowed {
		b = append(b, ", retry "...)
		if d.RetryAfter == Never {
			b = append(b, "never"...)
		} else {
			b = append(b, "in "...)
			b = append(b, d.RetryAfter.String()...)
		}
	}
	b = append(b, ", reset in "...)
	b = append(b, d.ResetAfter.String()...)
	return string(b)
}
