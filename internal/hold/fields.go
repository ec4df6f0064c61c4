package hold

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorate/ratelimit"
)

// RetryAfter returns the delay a Retry-After field value v asks for:
// delta-seconds, or an HTTP-date less date (the response's Date field) or,
// when date is empty or not an HTTP-date, less now. It returns 0 for a
// value that is neither, and for a time already past; delays above [Max]
// are Max.
func RetryAfter(v, date string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if d, ok := seconds(v); ok {
		return d
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if sent, err := http.ParseTime(strings.TrimSpace(date)); err == nil {
		now = sent
	}
	return min(max(at.Sub(now), 0), Max)
}

// RateLimit returns the delay the RateLimit field values of
// draft-ietf-httpapi-ratelimit-headers ask for: the longest t (seconds) of
// the quotas with r=0, none left, or 0 when every quota has some left.
// Members it cannot read are skipped.
func RateLimit(values []string) time.Duration {
	var d time.Duration
	for _, v := range values {
		for v != "" {
			var member string
			member, v = next(v)
			f := params(member)
			if left, ok := seconds(f.r); ok && left == 0 {
				t, _ := seconds(f.t)
				d = max(d, t)
			}
		}
	}
	return d
}

// Policy returns the rates of the quota policies that RateLimit-Policy
// field values announce: "name";q=100;w=60 is 100 requests per 60
// seconds. Policies of another quota unit than requests (qu), and members
// it cannot read, are skipped; it returns nil when no policy is left, or
// when those left do not make a valid list ([ratelimit.NewRates]).
func Policy(values []string) ratelimit.Rates {
	var rates []ratelimit.Rate
	for _, v := range values {
		for v != "" {
			var member string
			member, v = next(v)
			f := params(member)
			q, errQ := strconv.ParseInt(f.q, 10, 64)
			w, errW := strconv.ParseInt(f.w, 10, 64)
			if errQ != nil || errW != nil || q <= 0 || w <= 0 || w > int64(ratelimit.MaxInterval/time.Second) || (f.qu != "" && f.qu != `"requests"`) {
				continue
			}
			rates = append(rates, ratelimit.Rate{Limit: q, Interval: time.Duration(w) * time.Second})
		}
	}
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		return nil
	}
	return rs
}

// Seconds returns the delay of a field value of delta-seconds, such as
// RateLimit-Reset's, or 0 when v is not one.
func Seconds(v string) time.Duration {
	d, _ := seconds(strings.TrimSpace(v))
	return d
}

// seconds parses v as delta-seconds (digits only), capped at Max.
func seconds(v string) (time.Duration, bool) {
	if v == "" || strings.TrimLeft(v, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n > int64(Max/time.Second) {
		return Max, true // only digits: too many of them
	}
	return time.Duration(n) * time.Second, true
}

// next splits a structured field list at its first member: the member,
// and the rest after the comma that ends it (a comma inside a quoted
// string does not).
func next(v string) (member, rest string) {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ',':
			return v[:i], v[i+1:]
		}
	}
	return v, ""
}

// fields are the parameters of a list member that the RateLimit and
// RateLimit-Policy fields use, "" for one it lacks.
type fields struct{ r, t, q, w, qu string }

// params returns the parameters of a list member: `"name";r=0;t=3` gives
// r "0" and t "3".
func params(member string) (f fields) {
	member = strings.TrimSpace(member)
	if strings.HasPrefix(member, `"`) { // skip the name, quotes and all
		i := 1
		for ; i < len(member) && member[i] != '"'; i++ {
			if member[i] == '\\' {
				i++
			}
		}
		member = member[min(i+1, len(member)):]
	}
	_, member, _ = strings.Cut(member, ";")
	for p := range strings.SplitSeq(member, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch k {
		case "r":
			f.r = v
		case "t":
			f.t = v
		case "q":
			f.q = v
		case "w":
			f.w = v
		case "qu":
			f.qu = v
		}
	}
	return f
}
