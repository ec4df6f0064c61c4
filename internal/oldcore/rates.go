package ratelimit

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// Rates is a list of rates enforced together ("10/s and 1000/h"), sorted by
// ascending interval. A Rates made by [NewRates] or [ParseRates] is valid:
// non-empty, with strictly increasing intervals, strictly increasing limits
// and non-increasing density (limit per interval), so that no rate in the list
// is made meaningless by another.
//
// A Rates value is read-only once made; stores keep it as given.
type Rates []Rate

// NewRates copies rates, sorts the copy by interval and validates it. The
// error wraps [ErrInvalidRate] for a bad single rate and [ErrInvalidRates] for
// a bad combination, and names the offending pair.
func NewRates(rates ...Rate) (Rates, error) {
	if len(rates) == 0 {
		return nil, fmt.Errorf("%w: the list is empty", ErrInvalidRates)
	}
	rs := slices.Clone(Rates(rates))
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(rs, func(a, b Rate) int { return cmp.Compare(a.Interval, b.Interval) })
	for i := 1; i < len(rs); i++ {
		prev, cur := rs[i-1], rs[i]
		switch {
		case cur.Interval == prev.Interval:
			return nil, fmt.Errorf("%w: %s and %s have the same interval", ErrInvalidRates, prev, cur)
		case cur.Limit <= prev.Limit:
			return nil, fmt.Errorf("%w: %s allows no more than %s over a longer interval, so %s can never bind; limits must increase with intervals", ErrInvalidRates, cur, prev, prev)
		case denser(cur, prev):
			return nil, fmt.Errorf("%w: %s is denser than %s, so %s can never bind; limit per interval must not increase with intervals", ErrInvalidRates, cur, prev, cur)
		}
	}
	return rs, nil
}

// denser reports whether a.Limit/a.Interval > b.Limit/b.Interval, exactly.
func denser(a, b Rate) bool {
	ah, al := bits.Mul64(uint64(a.Limit), uint64(b.Interval))
	bh, bl := bits.Mul64(uint64(b.Limit), uint64(a.Interval))
	return ah > bh || (ah == bh && al > bl)
}

// Smallest returns the rate with the shortest interval, which also has the
// smallest limit: no weight above its Limit can ever be admitted.
func (rs Rates) Smallest() Rate { return rs[0] }

// Largest returns the rate with the longest interval: units older than it
// count for no rate and may be leaked.
func (rs Rates) Largest() Rate { return rs[len(rs)-1] }

// String returns the rates as [ParseRates] reads them: "10/s, 1000/h".
func (rs Rates) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ", ")
}
