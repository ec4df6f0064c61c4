package httplimit

import (
	"context"
	"net/http"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/internal/hold"
)

// Transport returns an outbound [http.RoundTripper] that waits for l
// ([ratelimit.Limiter.Wait]) before each request, then sends it with base
// (nil: [http.DefaultTransport]), and holds back the request's key for as
// long as the server asks. Requests are keyed by key (nil: the URL's host,
// so that each server gets its own limit). The wait is bounded by the
// request's context; a wait that fails fails the request with its error,
// closes its body and sends nothing. The RoundTripper is safe for
// concurrent use if base is. Transport panics when l is nil.
//
// A server asks for a delay with a 429 or 503 response's Retry-After
// field (delta-seconds, or an HTTP-date measured against the response's
// Date field), or with a response's RateLimit field
// (draft-ietf-httpapi-ratelimit-headers) whose quota has no units left:
// "x";r=0;t=3 asks for 3 seconds, as RateLimit-Remaining: 0 with
// RateLimit-Reset: 3 of its earlier drafts does. The longest delay asked
// for holds, at most a day. The response is returned as it came.
//
// When l keeps blocks (made with a [ratelimit.Block] option; the zero
// Block is enough), the hold is a block of the key in l's store
// ([ratelimit.Limiter.Block]): every process sharing the store holds back
// together, and l's waits wait for it. Otherwise, and when the store fails
// the block, the key is held back in this RoundTripper only. Requests
// held back past their context's deadline fail at once with an error
// wrapping [ratelimit.ErrWaitTooLong], and send nothing. To keep to the
// limits a server announces before it refuses anything, give l the rates a
// [Learned] learns.
func Transport(base http.RoundTripper, l *ratelimit.Limiter, key func(*http.Request) string) http.RoundTripper {
	if l == nil {
		panic("httplimit: Transport: nil limiter")
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, l: l, key: key, holds: hold.New(l)}
}

type transport struct {
	base  http.RoundTripper
	l     *ratelimit.Limiter
	key   func(*http.Request) string
	holds *hold.Holds
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := req.URL.Host
	if t.key != nil {
		key = t.key(req)
	}
	ctx := req.Context()
	err := t.holds.Wait(ctx, key)
	if err == nil {
		_, err = t.l.Wait(ctx, key)
	}
	if err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		if d := serverDelay(resp, time.Now()); d > 0 {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
			t.holds.Hold(ctx, key, d)
			cancel()
		}
	}
	return resp, err
}

// serverDelay returns the delay resp's server asks for (see Transport),
// at now.
func serverDelay(resp *http.Response, now time.Time) time.Duration {
	h := resp.Header
	d := hold.RateLimit(h.Values(headerRateLimit))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		d = max(d, hold.RetryAfter(h.Get(headerRetryAfter), h.Get("Date"), now))
	}
	if h.Get("Ratelimit-Remaining") == "0" {
		d = max(d, hold.Seconds(h.Get("Ratelimit-Reset")))
	}
	return d
}
