package httplimit

import (
	"net/http"

	"github.com/gorate/ratelimit"
)

// Transport returns an outbound [http.RoundTripper] that waits for l
// ([ratelimit.Limiter.Wait]) before each request, then sends it with base
// (nil: [http.DefaultTransport]). Requests are keyed by key (nil: the URL's
// host, so that each server gets its own limit). The wait is bounded by the
// request's context; a wait that fails fails the request with its error,
// closes its body and sends nothing. The RoundTripper is safe for
// concurrent use if base is. Transport panics when l is nil.
func Transport(base http.RoundTripper, l *ratelimit.Limiter, key func(*http.Request) string) http.RoundTripper {
	if l == nil {
		panic("httplimit: Transport: nil limiter")
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, l: l, key: key}
}

type transport struct {
	base http.RoundTripper
	l    *ratelimit.Limiter
	key  func(*http.Request) string
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := req.URL.Host
	if t.key != nil {
		key = t.key(req)
	}
	if _, err := t.l.Wait(req.Context(), key); err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, err
	}
	return t.base.RoundTrip(req)
}
