package httplimit

import (
	"context"
	"net/http"
	"sync"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/internal/hold"
)

// maxLearned bounds the keys a Learned keeps.
const maxLearned = 10_000

// Learned keeps, per key, the quota policies that servers announce in the
// RateLimit-Policy field of their responses
// (draft-ietf-httpapi-ratelimit-headers: "default";q=100;w=60 is 100
// requests per 60 seconds), so that an outbound limiter keeps to a
// server's limits before the server refuses it. [Learned.Learn] wraps a
// RoundTripper to read the field of every response; [Learned.RatesFor]
// gives the policies to a limiter ([ratelimit.WithRatesFor]):
//
//	learned := httplimit.NewLearned(nil)
//	l, err := ratelimit.New(store, ratelimit.PerSecond(20), ratelimit.Block{},
//		ratelimit.WithRatesFor(learned.RatesFor))
//	client := &http.Client{Transport: httplimit.Transport(learned.Learn(nil), l, nil)}
//
// Until a key's server announces its policies, RatesFor returns none, so
// that the limiter's own rates apply; the policies of a later response
// replace them, and a response without the field leaves them. Policies of
// a quota unit other than requests are skipped, and so is a field whose
// policies do not make a valid list of rates ([ratelimit.NewRates]). It
// learns the policies of at most 10 000 keys: a key beyond them keeps the
// limiter's rates. Each process learns from the responses it gets.
//
// A Learned is safe for concurrent use; make it with [NewLearned].
type Learned struct {
	key func(*http.Request) string

	mu    sync.RWMutex
	rates map[string]ratelimit.Rates
}

// NewLearned returns a Learned that keys responses by their request's
// key(req), which must be the key of the Transport it is used with (nil:
// the URL's host, as the Transport's).
func NewLearned(key func(*http.Request) string) *Learned {
	return &Learned{key: key, rates: make(map[string]ratelimit.Rates)}
}

// RatesFor returns the rates learned for key, or none: a rates function
// for [ratelimit.WithRatesFor]. It never fails.
func (p *Learned) RatesFor(_ context.Context, key string) (ratelimit.Rates, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.rates[key], nil
}

// Learn returns a RoundTripper that sends each request with base (nil:
// [http.DefaultTransport]) and learns the policies of its response.
func (p *Learned) Learn(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return learner{p, base}
}

type learner struct {
	p    *Learned
	base http.RoundTripper
}

func (l learner) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	rs := hold.Policy(resp.Header.Values(headerPolicy))
	if rs == nil {
		return resp, nil
	}
	key := req.URL.Host
	if l.p.key != nil {
		key = l.p.key(req)
	}
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	if _, ok := l.p.rates[key]; ok || len(l.p.rates) < maxLearned {
		l.p.rates[key] = rs
	}
	return resp, nil
}
