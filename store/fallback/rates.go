package fallback

import (
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// divide returns the share of rates one of instances processes enforces on
// its own: each rate's limit divided by instances, rounded down, at least 1.
// So that the list stays one [ratelimit.NewRates] accepts, a share is
// lowered further where rounding broke the list's rules: a longer rate
// whose share became denser than a shorter one's is lowered to the shorter
// one's density (rounded down), and a shorter rate whose share is no smaller
// than a longer one's is dropped, the longer one holding it. No limit is
// ever raised, so every rate of the list is held to at most
// max(1, floor(Limit/instances)) units per interval. Rates that are not a
// valid list, or instances < 1, are returned as given.
func divide(rates ratelimit.Rates, instances int) ratelimit.Rates {
	if instances <= 1 || len(rates) == 0 || core.Validate(ratelimit.SlidingWindowLog, rates) != nil {
		return rates
	}
	k := int64(instances)
	out := make(ratelimit.Rates, 0, len(rates))
	for _, r := range rates {
		r.Limit = max(1, r.Limit/k)
		for len(out) > 0 {
			prev := out[len(out)-1]
			if denser(r, prev) {
				r.Limit = scaled(prev, r.Interval)
			}
			if r.Limit > prev.Limit {
				break
			}
			// r allows no more over a longer interval: it holds prev.
			out = out[:len(out)-1]
		}
		out = append(out, r)
	}
	return out
}

// denser reports whether a.Limit/a.Interval > b.Limit/b.Interval, exactly.
func denser(a, b ratelimit.Rate) bool {
	ah, al := bits.Mul64(uint64(a.Limit), uint64(b.Interval))
	bh, bl := bits.Mul64(uint64(b.Limit), uint64(a.Interval))
	return ah > bh || (ah == bh && al > bl)
}

// scaled returns floor(r.Limit × interval / r.Interval), the limit of r's
// density over interval, for an interval longer than r's whose current
// limit is denser than r (so the result is below that limit and fits).
func scaled(r ratelimit.Rate, interval time.Duration) int64 {
	hi, lo := bits.Mul64(uint64(r.Limit), uint64(interval))
	q, _ := bits.Div64(hi, lo, uint64(r.Interval))
	return int64(q)
}

// maxDivisions is the number of distinct rate lists whose shares a Store
// keeps; beyond it, shares are computed on every call.
const maxDivisions = 32

// division is a rate list and its share.
type division struct {
	from, to ratelimit.Rates
}

// divisions keeps the shares of the rate lists seen, so that a warm call
// allocates nothing and a local store is given the same share slice for the
// same rates every time. Its table is replaced whole under mu.
type divisions struct {
	instances int
	table     atomic.Pointer[[]division]
	mu        sync.Mutex
}

// of returns the share of rates.
func (d *divisions) of(rates ratelimit.Rates) ratelimit.Rates {
	if d.instances == 1 {
		return rates
	}
	t := d.table.Load()
	if t != nil {
		for _, e := range *t {
			if slices.Equal(e.from, rates) {
				return e.to
			}
		}
		if len(*t) >= maxDivisions {
			return divide(rates, d.instances)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var next []division
	if t := d.table.Load(); t != nil {
		for _, e := range *t {
			if slices.Equal(e.from, rates) {
				return e.to
			}
		}
		next = slices.Clip(*t)
	}
	if len(next) >= maxDivisions {
		return divide(rates, d.instances)
	}
	e := division{from: slices.Clone(rates), to: divide(rates, d.instances)}
	next = append(next, e)
	d.table.Store(&next)
	return e.to
}
