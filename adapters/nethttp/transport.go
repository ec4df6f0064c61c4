package httplimit

import (
	"errors"
	"net/http"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Transport is an outbound [http.RoundTripper] that waits for its limiter
// before each request: the Go counterpart of PyrateLimiter's helpers for
// requests, httpx and aiohttp. The wait is bounded by the request's
// context; a wait the limiter gives up on (see [ratelimit.Limiter.WaitN])
// fails the request with that error and sends nothing.
//
// A Transport is safe for concurrent use if Base is.
type Transport struct {
	// Limiter limits the requests. Required.
	Limiter *ratelimit.Limiter
	// Base sends the requests. Default: http.DefaultTransport.
	Base http.RoundTripper
	// Key returns the name a request is limited under. Default: the
	// request's host (URL.Host), so each server gets its own limit.
	Key func(*http.Request) string
	// Cost returns a request's weight. Default: 1.
	Cost func(*http.Request) int64
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a Transport over base (nil: http.DefaultTransport)
// limited by l, keyed by host.
func NewTransport(base http.RoundTripper, l *ratelimit.Limiter) *Transport {
	return &Transport{Limiter: l, Base: base}
}

// RoundTrip waits for the limiter, then sends req with Base.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.wait(req); err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, err
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

func (t *Transport) wait(req *http.Request) error {
	if t.Limiter == nil {
		return errors.New("httplimit: Transport has no Limiter")
	}
	key := req.URL.Host
	if t.Key != nil {
		key = t.Key(req)
	}
	n := int64(1)
	if t.Cost != nil {
		n = t.Cost(req)
	}
	_, err := t.Limiter.WaitN(req.Context(), key, n)
	return err
}
