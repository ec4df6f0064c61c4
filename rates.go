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
// A Rates value is read-only once made: limiters and stores keep it as given.
// A Rates is also an [Option] of [New]: the limiter enforces every rate in it.
type Rates []Rate

// NewRates copies rates, sorts the copy by interval and validates it. The
// error wraps [ErrInvalidRate] and names the offending rate or pair.
func NewRates(rates ...Rate) (Rates, error) {
	rs := slices.Clone(Rates(rates))
	slices.SortStableFunc(rs, func(a, b Rate) int { return cmp.Compare(a.Interval, b.Interval) })
	if err := rs.check(); err != nil {
		return nil, err
	}
	return rs, nil
}

// check reports whether rs is a valid list as NewRates makes it, sorted by
// interval; it allocates nothing unless rs is bad.
func (rs Rates) check() error {
	if len(rs) == 0 {
		return fmt.Errorf("%w: the list is empty", ErrInvalidRate)
	}
	for i, cur := range rs {
		if err := cur.validate(); err != nil {
			return err
		}
		if i == 0 {
			continue
		}
		switch prev := rs[i-1]; {
		case cur.Interval < prev.Interval:
			return fmt.Errorf("%w: %s comes after %s; the list must be sorted by interval", ErrInvalidRate, cur, prev)
		case cur.Interval == prev.Interval:
			return fmt.Errorf("%w: %s and %s have the same interval", ErrInvalidRate, prev, cur)
		case cur.Limit <= prev.Limit:
			return fmt.Errorf("%w: %s allows no more than %s over a longer interval, so %s can never bind; limits must increase with intervals", ErrInvalidRate, cur, prev, prev)
		case denser(cur, prev):
			return fmt.Errorf("%w: %s is denser than %s, so %s can never bind; limit per interval must not increase with intervals", ErrInvalidRate, cur, prev, cur)
		}
	}
	return nil
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
