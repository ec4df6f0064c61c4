package httplimit

import (
	"strconv"
	"sync/atomic"

	"github.com/gorate/ratelimit"
)

// policy is what a rate's headers say of the rate alone, rendered once:
// the RateLimit-Policy value "100/min";q=100;w=60, whose first nameEnd
// bytes are the policy name "100/min" (quoted) and whose
// value[limitStart:limitEnd] is the limit, 100.
type policy struct {
	rate                          ratelimit.Rate
	value                         string
	nameEnd, limitStart, limitEnd int
}

func (p *policy) name() string  { return p.value[:p.nameEnd] }
func (p *policy) limit() string { return p.value[p.limitStart:p.limitEnd] }

func newPolicy(r ratelimit.Rate) *policy {
	var buf [maxPolicy]byte
	b := appendName(buf[:0], r)
	p := &policy{rate: r, nameEnd: len(b)}
	b = append(b, ";q="...)
	p.limitStart = len(b)
	b = strconv.AppendInt(b, r.Limit, 10)
	p.limitEnd = len(b)
	b = append(b, ";w="...)
	b = strconv.AppendInt(b, ceilSeconds(r.Interval), 10)
	p.value = string(b)
	return p
}

// policySlots is the size of a policy cache: more than the rates (and
// plans) of one middleware in any sane configuration. A miss costs the
// rendering and two allocations, the policy and its string.
const policySlots = 64

// policies caches the policies of the rates an engine has rendered, so
// that a request formats only what its decision adds. It is a table of
// slots, each holding the last policy of a rate hashed to it: bounded,
// lock-free and safe for concurrent use, its policies immutable. Its zero
// value is empty.
type policies struct {
	slots [policySlots]atomic.Pointer[policy]
}

// get returns the policy of r.
func (c *policies) get(r ratelimit.Rate) *policy {
	h := uint64(r.Limit)*0x9e3779b97f4a7c15 ^ uint64(r.Interval)*0xc2b2ae3d27d4eb4f
	slot := &c.slots[h>>58] // the top 6 bits: policySlots is 1<<6
	if p := slot.Load(); p != nil && p.rate == r {
		return p
	}
	p := newPolicy(r)
	slot.Store(p)
	return p
}
