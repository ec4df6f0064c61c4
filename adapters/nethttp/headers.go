package httplimit

import (
	"net/http"
	"strconv"
	"time"
	"unsafe"

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
)

// The headers of a response, each its index in names.
const (
	fieldPolicy = iota
	fieldRateLimit
	fieldLimit
	fieldRemaining
	fieldReset
	fieldRetryAfter
	fieldShadow
	fieldNoSniff
	maxHeaders
)

var names = [maxHeaders]string{
	fieldPolicy:     headerPolicy,
	fieldRateLimit:  headerRateLimit,
	fieldLimit:      headerLimit,
	fieldRemaining:  headerRemaining,
	fieldReset:      headerReset,
	fieldRetryAfter: headerRetryAfter,
	fieldShadow:     headerShadow,
	fieldNoSniff:    headerNoSniff,
}

// The longest values, in bytes: an int64 in decimal, a policy name
// (quoted, with the interval in its largest whole unit, of at most three
// letters), a RateLimit-Policy value and a RateLimit item (whose numbers
// are never negative). A request's buffer fits its longest values: the
// RateLimit item, Retry-After, the shadow's item and, when an adapter
// visits them, a copy of the policy, the limit and "nosniff".
const (
	maxInt    = len("-9223372036854775808")
	maxName   = len(`"/min"`) + 2*maxInt
	maxPolicy = maxName + len(";q=;w=") + 2*maxInt
	maxItem   = maxName + len(";r=;t=") + 2*(maxInt-1)
	bufSize   = maxItem + maxInt + maxItem + len(";denied") + maxPolicy + maxInt + len("nosniff")
)

// The values that outlive a request: the policy's (RateLimit-Policy and
// X-RateLimit-Limit) and "nosniff". Any other is rendered for the request.
const (
	rendered = iota
	fixedPolicy
	fixedLimit
	fixedNoSniff
)

// headers are the response headers of one request. A value is either fixed,
// a string that outlives the request (of p, the rate's cached policy, or a
// literal), or rendered for the request into buf (buf[lo:hi]). The zero
// value holds none. It is small, as it is zeroed for every request.
type headers struct {
	n    int
	used int     // the bytes of buf in use; the values rendered come first
	p    *policy // the decision's, when a value is of it
	hs   [maxHeaders]struct {
		name, fixed uint8 // the name's index, the fixed value or rendered
		lo, hi      uint16
	}
	buf [bufSize]byte
}

// add adds a header of a fixed value.
func (h *headers) add(name, fixed uint8) {
	h.hs[h.n].name, h.hs[h.n].fixed = name, fixed
	h.n++
}

// addRendered adds a header whose value is buf[lo:hi].
func (h *headers) addRendered(name uint8, lo, hi int) {
	h.hs[h.n].name, h.hs[h.n].fixed, h.hs[h.n].lo, h.hs[h.n].hi = name, rendered, uint16(lo), uint16(hi)
	h.n++
}

// fixed returns the fixed value f.
func (h *headers) fixed(f uint8) string {
	switch f {
	case fixedPolicy:
		return h.p.value
	case fixedLimit:
		return h.p.limit()
	}
	return "nosniff"
}

// write sets h's headers in hd, replacing any of the same name, at the
// cost of one allocation: a block holding the slice of every header and
// the bytes of every rendered value, or, when they do not fit the larger
// block, two.
func (h *headers) write(hd http.Header) {
	var vs []string
	var b []byte
	switch {
	case h.n <= 5 && h.used <= 48: // allowed, the IETF and X-RateLimit fields
		blk := new(struct {
			vs [5]string
			b  [48]byte
		})
		vs, b = blk.vs[:h.n], blk.b[:h.used]
	case h.used <= 96:
		blk := new(struct {
			vs [maxHeaders]string
			b  [96]byte
		})
		vs, b = blk.vs[:h.n], blk.b[:h.used]
	default:
		vs, b = make([]string, h.n), make([]byte, h.used)
	}
	copy(b, h.buf[:h.used])
	s := unsafe.String(unsafe.SliceData(b), len(b)) // b is never written again
	for i := range vs {
		f := &h.hs[i]
		if f.fixed == rendered {
			vs[i] = s[f.lo:f.hi]
		} else {
			vs[i] = h.fixed(f.fixed)
		}
		hd[names[f.name]] = vs[i : i+1 : i+1]
	}
}

// visit calls f with each header, its value in h's buffer (valid until h
// changes), allocating nothing.
func (h *headers) visit(f func(name string, value []byte)) {
	for i := range h.n {
		hf := &h.hs[i]
		lo, hi := int(hf.lo), int(hf.hi)
		if hf.fixed != rendered {
			lo = h.used
			hi = lo + copy(h.buf[lo:], h.fixed(hf.fixed))
			h.used = hi
		}
		f(names[hf.name], h.buf[lo:hi:hi])
	}
}

// ceilSeconds returns d in whole seconds, rounded up, at least 1 for a
// positive d: the delta-seconds of Retry-After and the IETF fields.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// set fills h, empty, for d, and the shadow's decision sd when it is not
// nil and has a rate, under mode: the values that depend on the rate alone
// come from pc, the others are rendered into h's buffer.
func (h *headers) set(mode HeaderMode, pc *policies, d, sd *ratelimit.Decision) {
	b := h.buf[:0]
	if mode&(HeadersIETF|HeadersXRateLimit) != 0 {
		// The X-RateLimit numbers are the item's r and t, cut from it.
		p := pc.get(d.Rate)
		h.p = p
		if mode&HeadersIETF != 0 {
			b = append(b, p.name()...)
		}
		var r, t int
		b, r, t = appendState(b, d)
		if mode&HeadersIETF != 0 {
			h.add(fieldPolicy, fixedPolicy)
			h.addRendered(fieldRateLimit, 0, len(b))
		}
		if mode&HeadersXRateLimit != 0 {
			h.add(fieldLimit, fixedLimit)
			h.addRendered(fieldRemaining, r, t-len(";t="))
			h.addRendered(fieldReset, t, len(b))
		}
	}
	if !d.Allowed && d.RetryAfter != ratelimit.Never {
		lo := len(b)
		b = appendDecimal(b, uint64(ceilSeconds(d.RetryAfter)))
		h.addRendered(fieldRetryAfter, lo, len(b))
	}
	if mode&HeadersShadow != 0 && sd != nil && sd.Rate.Limit > 0 {
		lo := len(b)
		b = append(b, pc.get(sd.Rate).name()...)
		b, _, _ = appendState(b, sd)
		if !sd.Allowed {
			b = append(b, ";denied"...)
		}
		h.addRendered(fieldShadow, lo, len(b))
	}
	h.used = len(b)
}

// appendState appends the parameters of d's item in the IETF RateLimit
// field, which follow its name, ";r=42;t=17", and returns where its two
// numbers start.
func appendState(b []byte, d *ratelimit.Decision) (_ []byte, r, t int) {
	b = append(b, ";r="...)
	r = len(b)
	b = appendDecimal(b, uint64(max(d.Remaining, 0)))
	b = append(b, ";t="...)
	t = len(b)
	return appendDecimal(b, uint64(ceilSeconds(d.ResetAfter))), r, t
}

// digitPairs holds "00" to "99", for appendDecimal.
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// appendDecimal appends u in decimal, as strconv.AppendUint(b, u, 10)
// does, four digits to a division: the numbers every response renders.
func appendDecimal(b []byte, u uint64) []byte {
	var buf [maxInt]byte
	i := len(buf)
	for u >= 10000 {
		q := u / 10000
		r := uint32(u - q*10000)
		hi, lo := r/100*2, r%100*2
		i -= 4
		buf[i], buf[i+1], buf[i+2], buf[i+3] = digitPairs[hi], digitPairs[hi+1], digitPairs[lo], digitPairs[lo+1]
		u = q
	}
	r := uint32(u)
	for r >= 100 {
		q := r / 100
		d := (r - q*100) * 2
		i -= 2
		buf[i], buf[i+1] = digitPairs[d], digitPairs[d+1]
		r = q
	}
	if r >= 10 {
		i -= 2
		buf[i], buf[i+1] = digitPairs[r*2], digitPairs[r*2+1]
	} else {
		i--
		buf[i] = byte('0' + r)
	}
	return append(b, buf[i:]...)
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
