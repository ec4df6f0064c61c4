package httplimit

import (
	"strconv"
	"time"

	"github.com/gorate/ratelimit"
)

// HeaderMode selects the rate-limit headers of a response; values combine
// with |, and 0 writes none (Retry-After is still set on a denial). Every
// header describes the [ratelimit.Decision]'s rate — the one that denied the
// request, or the tightest — so that they are right for per-key rates
// ([ratelimit.WithRatesFor]) too.
type HeaderMode uint8

const (
	// HeadersIETF writes the RateLimit-Policy and RateLimit fields of
	// draft-ietf-httpapi-ratelimit-headers (draft 10), the policy named by
	// the rate: "100/min";q=100;w=60 and "100/min";r=42;t=17, with the
	// units remaining and the seconds until the rate counts none again.
	HeadersIETF HeaderMode = 1 << iota
	// HeadersXRateLimit writes X-RateLimit-Limit, X-RateLimit-Remaining and
	// X-RateLimit-Reset; Reset is in seconds from now (like the IETF t
	// parameter), not a Unix time.
	HeadersXRateLimit
	// HeadersShadow writes X-RateLimit-Shadow, the decision of the
	// limiter's shadow ([ratelimit.WithShadow]) in the form of the IETF
	// RateLimit field, with the parameter denied when the shadow would have
	// denied the request: "10/min";r=0;t=42;denied. It is written only when
	// the limiter has a shadow that decided.
	HeadersShadow
)

// The header names, in canonical form.
const (
	headerPolicy     = "Ratelimit-Policy"
	headerRateLimit  = "Ratelimit"
	headerLimit      = "X-Ratelimit-Limit"
	headerRemaining  = "X-Ratelimit-Remaining"
	headerReset      = "X-Ratelimit-Reset"
	headerRetryAfter = "Retry-After"
	headerShadow     = "X-Ratelimit-Shadow"
	headerNoSniff    = "X-Content-Type-Options"
	maxHeaders       = 8
)

// headers are the response headers of one request, names in canonical
// form. The zero value holds none.
type headers struct {
	n      int
	names  [maxHeaders]string
	values [maxHeaders]string
}

func (h *headers) add(name, value string) {
	h.names[h.n], h.values[h.n] = name, value
	h.n++
}

// ceilSeconds returns d in whole seconds, rounded up, at least 1 for a
// positive d: the delta-seconds of Retry-After and the IETF fields.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// set fills h for d, and the shadow's decision sd when it is not nil and has
// a rate, under mode. Every value is formatted into one buffer and cut from one string,
// so that the headers cost one allocation.
func (h *headers) set(mode HeaderMode, d, sd *ratelimit.Decision) {
	var buf [224]byte
	b := buf[:0]
	var ends [7]int // ends in b of: policy, RateLimit, Limit, Remaining, Reset, Retry-After, shadow
	r := d.Rate
	remaining := max(d.Remaining, 0)
	reset := ceilSeconds(d.ResetAfter)
	if mode&HeadersIETF != 0 {
		b = appendName(b, r)
		b = append(b, ";q="...)
		b = strconv.AppendInt(b, r.Limit, 10)
		b = append(b, ";w="...)
		b = strconv.AppendInt(b, ceilSeconds(r.Interval), 10)
		ends[0] = len(b)
		b = appendItem(b, d)
	}
	ends[1] = len(b)
	if mode&HeadersXRateLimit != 0 {
		b = strconv.AppendInt(b, r.Limit, 10)
		ends[2] = len(b)
		b = strconv.AppendInt(b, remaining, 10)
		ends[3] = len(b)
		b = strconv.AppendInt(b, reset, 10)
	}
	ends[4] = len(b)
	if !d.Allowed && d.RetryAfter != ratelimit.Never {
		b = strconv.AppendInt(b, ceilSeconds(d.RetryAfter), 10)
	}
	ends[5] = len(b)
	if mode&HeadersShadow != 0 && sd != nil && sd.Rate.Limit > 0 {
		b = appendItem(b, sd)
		if !sd.Allowed {
			b = append(b, ";denied"...)
		}
	}
	ends[6] = len(b)
	s := string(b)

	if mode&HeadersIETF != 0 {
		h.add(headerPolicy, s[:ends[0]])
		h.add(headerRateLimit, s[ends[0]:ends[1]])
	}
	if mode&HeadersXRateLimit != 0 {
		h.add(headerLimit, s[ends[1]:ends[2]])
		h.add(headerRemaining, s[ends[2]:ends[3]])
		h.add(headerReset, s[ends[3]:ends[4]])
	}
	if ends[5] > ends[4] {
		h.add(headerRetryAfter, s[ends[4]:ends[5]])
	}
	if ends[6] > ends[5] {
		h.add(headerShadow, s[ends[5]:ends[6]])
	}
}

// appendItem appends d as an item of the IETF RateLimit field:
// "100/min";r=42;t=17.
func appendItem(b []byte, d *ratelimit.Decision) []byte {
	b = appendName(b, d.Rate)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, max(d.Remaining, 0), 10)
	b = append(b, ";t="...)
	return strconv.AppendInt(b, ceilSeconds(d.ResetAfter), 10)
}

// appendName appends the policy name of r: its String form ("100/min") as a
// structured-field string, which needs no escaping (digits, letters, '/').
// It allocates nothing, unlike r.String.
func appendName(b []byte, r ratelimit.Rate) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, r.Limit, 10)
	b = append(b, '/')
	d := r.Interval
	for _, u := range [...]struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if d%u.d == 0 {
			if d != u.d {
				b = strconv.AppendInt(b, int64(d/u.d), 10)
			}
			b = append(b, u.name...)
			break
		}
	}
	return append(b, '"')
}
