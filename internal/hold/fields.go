package hold

import (
	"net/http"
	"strconv"
	"strings"
	"time"
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
			r, t := params(member)
			if left, ok := seconds(r); ok && left == 0 {
				t, _ := seconds(t)
				d = max(d, t)
			}
		}
	}
	return d
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

// params returns the values of the r and t parameters of a list member,
// "" for one it lacks: `"name";r=0;t=3` gives "0" and "3".
func params(member string) (r, t string) {
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
			r = v
		case "t":
			t = v
		}
	}
	return r, t
}
