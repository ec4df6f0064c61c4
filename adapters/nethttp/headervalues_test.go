package httplimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// canned is a store that returns one Decision whatever it is asked.
type canned struct{ d ratelimit.Decision }

func (s *canned) Take(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	return s.d, nil
}

// lending is a Request that lends Check its buffer.
type lending struct {
	httplimit.Request
	httplimit.CheckBuffer
}

// TestHeaderValues pins the exact headers, in order, that Check and Handle
// write for decisions of several rates under every header mode, the shadow's
// included: byte for byte, whatever caches the engine keeps. Each case runs
// twice on one engine, so that the second run is served from its caches.
func TestHeaderValues(t *testing.T) {
	const all = httplimit.HeadersIETF | httplimit.HeadersXRateLimit
	allowed := ratelimit.Decision{Allowed: true, Rate: ratelimit.PerSecond(10), Remaining: 7, ResetAfter: 300 * time.Millisecond}
	denied := ratelimit.Decision{Rate: ratelimit.PerMinute(100), RetryAfter: 2500 * time.Millisecond, ResetAfter: 59001 * time.Millisecond}
	never := ratelimit.Decision{Rate: ratelimit.Rate{Limit: 5, Interval: 90 * time.Second}, Remaining: 3, RetryAfter: ratelimit.Never, ResetAfter: 90 * time.Second}
	odd := ratelimit.Decision{Allowed: true, Rate: ratelimit.Rate{Limit: 7, Interval: 1500 * time.Millisecond}, Remaining: -2}
	big := ratelimit.Decision{Allowed: true, Rate: ratelimit.Rate{Limit: 1<<63 - 1, Interval: 100 * 365 * 24 * time.Hour}, Remaining: 1<<63 - 2, ResetAfter: 100 * 365 * 24 * time.Hour}
	bigDenied := big
	bigDenied.Allowed, bigDenied.Remaining, bigDenied.RetryAfter = false, 1<<63-1, 99*365*24*time.Hour+time.Millisecond
	day := ratelimit.Decision{Allowed: true, Rate: ratelimit.Rate{Limit: 4, Interval: 48 * time.Hour}, Remaining: 3, ResetAfter: time.Nanosecond}
	for _, c := range []struct {
		name   string
		mode   httplimit.HeaderMode
		d      ratelimit.Decision
		shadow *ratelimit.Decision // nil: no shadow
		want   string
	}{
		{"default allowed", all, allowed, nil,
			`Ratelimit-Policy: "10/s";q=10;w=1|Ratelimit: "10/s";r=7;t=1|X-Ratelimit-Limit: 10|X-Ratelimit-Remaining: 7|X-Ratelimit-Reset: 1|`},
		{"default denied", all, denied, nil,
			`Ratelimit-Policy: "100/min";q=100;w=60|Ratelimit: "100/min";r=0;t=60|X-Ratelimit-Limit: 100|X-Ratelimit-Remaining: 0|X-Ratelimit-Reset: 60|Retry-After: 3|X-Content-Type-Options: nosniff|`},
		{"default never", all, never, nil,
			`Ratelimit-Policy: "5/90s";q=5;w=90|Ratelimit: "5/90s";r=3;t=90|X-Ratelimit-Limit: 5|X-Ratelimit-Remaining: 3|X-Ratelimit-Reset: 90|X-Content-Type-Options: nosniff|`},
		{"default odd", all, odd, nil,
			`Ratelimit-Policy: "7/1500ms";q=7;w=2|Ratelimit: "7/1500ms";r=0;t=0|X-Ratelimit-Limit: 7|X-Ratelimit-Remaining: 0|X-Ratelimit-Reset: 0|`},
		{"default big", all, big, nil,
			`Ratelimit-Policy: "9223372036854775807/36500d";q=9223372036854775807;w=3153600000|Ratelimit: "9223372036854775807/36500d";r=9223372036854775806;t=3153600000|X-Ratelimit-Limit: 9223372036854775807|X-Ratelimit-Remaining: 9223372036854775806|X-Ratelimit-Reset: 3153600000|`},
		{"default day", all, day, nil,
			`Ratelimit-Policy: "4/2d";q=4;w=172800|Ratelimit: "4/2d";r=3;t=1|X-Ratelimit-Limit: 4|X-Ratelimit-Remaining: 3|X-Ratelimit-Reset: 1|`},
		{"none allowed", 0, allowed, nil, ``},
		{"none denied", 0, denied, nil, `Retry-After: 3|X-Content-Type-Options: nosniff|`},
		{"ietf allowed", httplimit.HeadersIETF, allowed, nil,
			`Ratelimit-Policy: "10/s";q=10;w=1|Ratelimit: "10/s";r=7;t=1|`},
		{"ietf denied", httplimit.HeadersIETF, denied, nil,
			`Ratelimit-Policy: "100/min";q=100;w=60|Ratelimit: "100/min";r=0;t=60|Retry-After: 3|X-Content-Type-Options: nosniff|`},
		{"x allowed", httplimit.HeadersXRateLimit, allowed, nil,
			`X-Ratelimit-Limit: 10|X-Ratelimit-Remaining: 7|X-Ratelimit-Reset: 1|`},
		{"x denied", httplimit.HeadersXRateLimit, denied, nil,
			`X-Ratelimit-Limit: 100|X-Ratelimit-Remaining: 0|X-Ratelimit-Reset: 60|Retry-After: 3|X-Content-Type-Options: nosniff|`},
		{"shadow allowed", all | httplimit.HeadersShadow, allowed, &denied,
			`Ratelimit-Policy: "10/s";q=10;w=1|Ratelimit: "10/s";r=7;t=1|X-Ratelimit-Limit: 10|X-Ratelimit-Remaining: 7|X-Ratelimit-Reset: 1|X-Ratelimit-Shadow: "100/min";r=0;t=60;denied|`},
		{"shadow denied", all | httplimit.HeadersShadow, bigDenied, &big,
			`Ratelimit-Policy: "9223372036854775807/36500d";q=9223372036854775807;w=3153600000|Ratelimit: "9223372036854775807/36500d";r=9223372036854775807;t=3153600000|X-Ratelimit-Limit: 9223372036854775807|X-Ratelimit-Remaining: 9223372036854775807|X-Ratelimit-Reset: 3153600000|Retry-After: 3122064001|X-Ratelimit-Shadow: "9223372036854775807/36500d";r=9223372036854775806;t=3153600000|X-Content-Type-Options: nosniff|`},
		{"shadow without rate", all | httplimit.HeadersShadow, allowed, &ratelimit.Decision{Allowed: true},
			`Ratelimit-Policy: "10/s";q=10;w=1|Ratelimit: "10/s";r=7;t=1|X-Ratelimit-Limit: 10|X-Ratelimit-Remaining: 7|X-Ratelimit-Reset: 1|`},
		{"shadow only", httplimit.HeadersShadow, denied, &odd,
			`Retry-After: 3|X-Ratelimit-Shadow: "7/1500ms";r=0;t=0|X-Content-Type-Options: nosniff|`},
		{"shadow unwanted", all, allowed, &denied,
			`Ratelimit-Policy: "10/s";q=10;w=1|Ratelimit: "10/s";r=7;t=1|X-Ratelimit-Limit: 10|X-Ratelimit-Remaining: 7|X-Ratelimit-Reset: 1|`},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := []ratelimit.Option{ratelimit.PerSecond(1)}
			if c.shadow != nil {
				opts = append(opts, ratelimit.WithShadow(newLimiter(t, &canned{*c.shadow}, ratelimit.PerSecond(1))))
			}
			e := httplimit.NewEngine(newLimiter(t, &canned{c.d}, opts...), httplimit.WithHeaders(c.mode))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for run := range 2 {
				var got strings.Builder
				var names []string
				pass, _, _ := e.Check(httplimit.NewRequest(r), func(name string, value []byte) {
					got.WriteString(name + ": " + string(value) + "|")
					names = append(names, name)
				})
				if got.String() != c.want || pass != c.d.Allowed {
					t.Errorf("run %d: Check: pass %v, headers\n%s\nwant %v,\n%s", run, pass, got.String(), c.d.Allowed, c.want)
				}
				// So does Check deciding in a buffer the request lends.
				got.Reset()
				pass, _, _ = e.Check(&lending{Request: httplimit.NewRequest(r)}, func(name string, value []byte) {
					got.WriteString(name + ": " + string(value) + "|")
				})
				if got.String() != c.want || pass != c.d.Allowed {
					t.Errorf("run %d: Check with a CheckBuffer: pass %v, headers\n%s\nwant %v,\n%s", run, pass, got.String(), c.d.Allowed, c.want)
				}
				// Handle writes the same headers (and, on a denial, the
				// reply's Content-Type).
				w := httptest.NewRecorder()
				if pass, _ := e.Handle(w, httplimit.NewRequest(r)); pass != c.d.Allowed {
					t.Errorf("run %d: Handle: pass %v, want %v", run, pass, c.d.Allowed)
				}
				got.Reset()
				for _, name := range names {
					if vs := w.Header()[name]; len(vs) != 1 {
						t.Errorf("run %d: Handle: %s: %q, want one value", run, name, vs)
					} else {
						got.WriteString(name + ": " + vs[0] + "|")
					}
				}
				if got.String() != c.want {
					t.Errorf("run %d: Handle: headers\n%s\nwant\n%s", run, got.String(), c.want)
				}
				for name := range w.Header() {
					if !slices.Contains(names, name) && (pass || name != "Content-Type") {
						t.Errorf("run %d: Handle wrote %s too", run, name)
					}
				}
			}
		})
	}
}
