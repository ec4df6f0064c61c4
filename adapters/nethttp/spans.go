package httplimit

import (
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
)

// u128 is an IPv6 address, or an IPv4 address in its last 32 bits, as a
// number.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) compare(b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

// u128Of returns the number of addr.
func u128Of(addr netip.Addr) u128 {
	if addr.Is4() {
		b := addr.As4()
		return u128{lo: uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := addr.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// span is the addresses from lo to hi, both included.
type span struct{ lo, hi u128 }

// spanOf returns the addresses of p, whose bits count from bit skip of the
// 128 (96 for an IPv4 prefix).
func spanOf(p netip.Prefix, skip int) span {
	lo := u128Of(p.Addr())
	var host u128 // the host bits, set
	switch n := skip + p.Bits(); {
	case n >= 64:
		host.lo = ^uint64(0) >> (n - 64) // n = 128: a shift by 64 gives 0
	default:
		host = u128{^uint64(0) >> n, ^uint64(0)}
	}
	return span{lo, u128{lo.hi | host.hi, lo.lo | host.lo}}
}

// merge sorts spans and joins those that overlap, so that they are
// disjoint and sorted by both ends.
func merge(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return a.lo.compare(b.lo) })
	out := spans[:0]
	for _, s := range spans {
		if n := len(out); n > 0 && !out[n-1].hi.less(s.lo) {
			if out[n-1].hi.less(s.hi) {
				out[n-1].hi = s.hi
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// holds reports whether a lies in one of spans (disjoint and sorted), by
// binary search.
func holds(spans []span, a u128) bool {
	i, j := 0, len(spans) // the first span starting after a is in [i, j]
	for i < j {
		h := int(uint(i+j) >> 1)
		if a.less(spans[h].lo) {
			j = h
		} else {
			i = h + 1
		}
	}
	return i > 0 && !spans[i-1].hi.less(a)
}
