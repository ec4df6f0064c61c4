package ratelimittest

import (
	"slices"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// ReferenceLog is the plainest exact sliding-window log: every unit its own
// timestamp, sorted (Units), with the name it was put under (Names). It is
// slow and obviously right; a store's tests drive their own log and a
// ReferenceLog with the same puts and compare the answers. The zero value
// is an empty log.
type ReferenceLog struct {
	Units []int64
	Names []string
}

var _ ratelimit.WindowLog = (*ReferenceLog)(nil)

// CountSince returns the number of units stamped at or after since.
func (l *ReferenceLog) CountSince(_ int, since int64) int64 {
	i, _ := slices.BinarySearch(l.Units, since)
	return int64(len(l.Units) - i)
}

// NthNewest returns the timestamp of the k-th newest unit.
func (l *ReferenceLog) NthNewest(k int64) (int64, bool) {
	if k < 0 || k >= int64(len(l.Units)) {
		return 0, false
	}
	return l.Units[int64(len(l.Units))-1-k], true
}

// Insert stores weight units of name at ts, after any stamped at ts.
func (l *ReferenceLog) Insert(name string, ts, weight int64) {
	i, _ := slices.BinarySearch(l.Units, ts+1)
	for range weight {
		l.Units = slices.Insert(l.Units, i, ts)
		l.Names = slices.Insert(l.Names, i, name)
	}
}

// Leak removes the units stamped before bound and returns how many.
func (l *ReferenceLog) Leak(bound int64) int64 {
	i, _ := slices.BinarySearch(l.Units, bound)
	l.Units, l.Names = l.Units[i:], l.Names[i:]
	return int64(i)
}
