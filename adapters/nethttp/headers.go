package httplimit

import (
	"strconv"
	"strings"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// HeaderMode selects the rate-limit headers of a response; values combine
// with |.
type HeaderMode uint8

const (
	// HeadersNone writes no rate-limit headers (Retry-After is still set on
	// a denial).
	HeadersNone HeaderMode = 0
	// HeadersIETF writes the RateLimit-Policy and RateLimit fields of
	// draft-ietf-httpapi-ratelimit-headers (draft 10): every rate of the
	// limiter as a policy named by the rate ("100/min";q=100;w=60), and the
	// Decision's rate — the one that denied, or the tightest — with its
	// remaining units and the seconds until its window is empty
	// ("100/min";r=42;t=17).
	HeadersIETF HeaderMode = 1 << iota
	// HeadersXRateLimit writes X-RateLimit-Limit, X-RateLimit-Remaining and
	// X-RateLimit-Reset for the Decision's rate; Reset is in seconds from
	// now (like the IETF t parameter), not a Unix time.
	HeadersXRateLimit
)

// The header names, in canonical form.
const (
	headerPolicy     = "Ratelimit-Policy"
	headerRateLimit  = "Ratelimit"
	headerLimit      = "X-Ratelimit-Limit"
	headerRemaining  = "X-Ratelimit-Remaining"
	headerReset      = "X-Ratelimit-Reset"
	headerRetryAfter = "Retry-After"
	headerNoSniff    = "X-Content-Type-Options"
	maxHeaders       = 7
)

// Headers are the response headers an [Engine] decided on, names in
// canonical form. The zero value holds none.
type Headers struct {
	n      int
	names  [maxHeaders]string
	values [maxHeaders]string
}

// Len returns the number of headers.
func (h *Headers) Len() int { return h.n }

// At returns the i-th header, 0 <= i < Len().
func (h *Headers) At(i int) (name, value string) { return h.names[i], h.values[i] }

// Get returns the value of the named header (canonical form), or "".
func (h *Headers) Get(name string) string {
	for i := range h.n {
		if h.names[i] == name {
			return h.values[i]
		}
	}
	return ""
}

func (h *Headers) add(name, value string) {
	h.names[h.n], h.values[h.n] = name, value
	h.n++
}

// policies holds what the headers of one limiter's rates need, computed
// once: the RateLimit-Policy value, and per rate its policy name and limit.
type policies struct {
	rates  ratelimit.Rates
	policy string   // RateLimit-Policy value
	item   []string // per rate: `"name";r=`
	limit  []string // per rate: the limit in decimal
}

func newPolicies(rates ratelimit.Rates) policies {
	p := policies{rates: rates}
	var b strings.Builder
	for i, r := range rates {
		if i > 0 {
			b.WriteString(", ")
		}
		name := policyName(r)
		b.WriteString(name)
		b.WriteString(";q=")
		b.WriteString(strconv.FormatInt(r.Limit, 10))
		b.WriteString(";w=")
		b.WriteString(strconv.FormatInt(ceilSeconds(r.Interval), 10))
		p.item = append(p.item, name+";r=")
		p.limit = append(p.limit, strconv.FormatInt(r.Limit, 10))
	}
	p.policy = b.String()
	return p
}

// policyName returns the policy name of r: its String form as a structured
// field string, which needs no escaping (digits, letters, '/', '.').
func policyName(r ratelimit.Rate) string { return `"` + r.String() + `"` }

// ceilSeconds returns d in whole seconds, rounded up, at least 1 for a
// positive d: the delta-seconds of Retry-After and the IETF fields.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// index returns the index of r among p's rates, or -1.
func (p *policies) index(r ratelimit.Rate) int {
	for i, x := range p.rates {
		if x == r {
			return i
		}
	}
	return -1
}

// set fills h for d under mode. The numbers are formatted into one buffer
// and turned into one string, so that the headers cost one allocation.
func (p *policies) set(h *Headers, mode HeaderMode, d *ratelimit.Decision) {
	var buf [96]byte
	b := buf[:0]
	var ends [4]int // end offsets in b of: RateLimit, Remaining, Reset, Retry-After
	i := p.index(d.Rate)
	remaining := max(d.Remaining, 0)
	reset := ceilSeconds(d.ResetAfter)
	if mode&HeadersIETF != 0 {
		if i < 0 {
			b = append(b, policyName(d.Rate)...)
			b = append(b, ";r="...)
		} else {
			b = append(b, p.item[i]...)
		}
		b = strconv.AppendInt(b, remaining, 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, reset, 10)
	}
	ends[0] = len(b)
	if mode&HeadersXRateLimit != 0 {
		b = strconv.AppendInt(b, remaining, 10)
		ends[1] = len(b)
		b = strconv.AppendInt(b, reset, 10)
	} else {
		ends[1] = len(b)
	}
	ends[2] = len(b)
	if !d.Allowed && d.RetryAfter != ratelimit.Never {
		b = strconv.AppendInt(b, ceilSeconds(d.RetryAfter), 10)
	}
	ends[3] = len(b)
	s := string(b)

	if mode&HeadersIETF != 0 {
		if p.policy != "" {
			h.add(headerPolicy, p.policy)
		}
		h.add(headerRateLimit, s[:ends[0]])
	}
	if mode&HeadersXRateLimit != 0 {
		limit := ""
		if i < 0 {
			limit = strconv.FormatInt(d.Rate.Limit, 10)
		} else {
			limit = p.limit[i]
		}
		h.add(headerLimit, limit)
		h.add(headerRemaining, s[ends[0]:ends[1]])
		h.add(headerReset, s[ends[1]:ends[2]])
	}
	if ends[3] > ends[2] {
		h.add(headerRetryAfter, s[ends[2]:ends[3]])
	}
}
