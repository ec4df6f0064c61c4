package httplimit

import (
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Option configures an [Engine], and so the middleware of every adapter.
//
// A nil Option, or an option given a nil function (WithKey(nil),
// WithCost(nil), …), is a programming error: it panics when the option or
// the middleware is built, as http.Handle does for a nil handler, never
// on a request.
type Option func(*config)

type config struct {
	key      KeyFunc
	cost     CostFunc
	skip     func(Request) bool
	name     string
	headers  HeaderMode
	wait     time.Duration
	failOpen bool
	onError  func(Request, error)
	denied   DeniedFunc
	bad      func(Request, error) Reply
}

func newConfig(opts []Option) config {
	c := config{key: ClientIP(), headers: HeadersIETF | HeadersXRateLimit}
	for _, o := range opts {
		if o == nil {
			panic("httplimit: nil Option")
		}
		o(&c)
	}
	return c
}

// refuseNil panics, naming option, when its function is nil: it would
// panic on every request instead.
func refuseNil(option string, isNil bool) {
	if isNil {
		panic("httplimit: " + option + "(nil)")
	}
}

// CostFunc returns how many units a request takes (its weight). A negative
// cost or an error means the request cannot be limited: the middleware
// answers it 400 ([WithBadRequest]).
type CostFunc func(Request) (int64, error)

// DeniedFunc builds the response to a denied request from its [Decision].
// A zero Status means 429. The rate-limit headers and Retry-After are set
// whatever it returns.
type DeniedFunc func(r Request, d ratelimit.Decision) Reply

// Reply is a response the middleware writes instead of calling the handler.
type Reply struct {
	Status      int
	ContentType string
	Body        []byte
}

// WithKey sets how requests are keyed. Default: [ClientIP]() (the peer's
// address, no proxy trusted). A key function's error, or an empty key,
// means the request cannot be limited: the middleware answers it 400
// ([WithBadRequest]). WithKey panics when k is nil.
func WithKey(k KeyFunc) Option {
	refuseNil("WithKey", k == nil)
	return func(c *config) { c.key = k }
}

// WithCost sets each request's weight. Default: 1. It panics when f is
// nil.
func WithCost(f CostFunc) Option {
	refuseNil("WithCost", f == nil)
	return func(c *config) { c.cost = f }
}

// WithSkip lets requests for which skip returns true through without a
// store call or headers. Default: none skipped. It panics when skip is nil.
func WithSkip(skip func(Request) bool) Option {
	refuseNil("WithSkip", skip == nil)
	return func(c *config) { c.skip = skip }
}

// WithName puts every key under name ("name:key"), so that several
// middlewares (one per route, say) can share a limiter and keep separate
// limits. Default: "" (the key alone).
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithHeaders selects the rate-limit headers written on every limited
// response. Default: HeadersIETF | HeadersXRateLimit.
func WithHeaders(m HeaderMode) Option { return func(c *config) { c.headers = m } }

// WithWait holds a denied request for up to max until the limit admits it,
// instead of denying it at once; the request's context bounds the wait too.
// A request whose wait would be longer is denied at once. Default: 0 (deny
// at once).
func WithWait(max time.Duration) Option { return func(c *config) { c.wait = max } }

// WithFailOpen lets requests through, without headers, when the store
// fails. Default: fail closed, answering 503 Service Unavailable.
//
// It applies to store failures only. A request that cannot be keyed or
// costed is answered 400 ([WithBadRequest]). A request whose own context
// ends before the limiter answers is never run: when its client goes away
// during the store call or a [WithWait] wait (the context is cancelled), it
// is answered 499, nginx's "client closed request", so that logs tell it
// from a store failure; when its deadline passes during the store call,
// 503.
func WithFailOpen() Option { return func(c *config) { c.failOpen = true } }

// WithErrorHook calls f with every failure, before the reply: a store
// failure, a key or cost function's failure, the request's context ending
// before the limiter answered. The error is also the [Outcome]'s Err.
// Default: none. It panics when f is nil.
func WithErrorHook(f func(Request, error)) Option {
	refuseNil("WithErrorHook", f == nil)
	return func(c *config) { c.onError = f }
}

// WithBadRequest sets the response to a request that cannot be limited: the
// key function failed or returned "" (a missing API-key header, a peer that
// is not an IP address), or the cost function failed or returned a negative
// cost (a chunked body's ContentLength is -1). err is that failure. A zero
// Status means 400. Default: 400 Bad Request with a one-line plain-text
// body, or {"error":"request cannot be rate limited"} when the request
// accepts application/json. Such a request is never let through, fail-open
// or not: letting it through would be a free pass for every client that
// leaves out its key. WithBadRequest panics when f is nil.
func WithBadRequest(f func(r Request, err error) Reply) Option {
	refuseNil("WithBadRequest", f == nil)
	return func(c *config) { c.bad = f }
}

// WithDenied sets the response to a denied request. Default: 429 Too Many
// Requests with a one-line plain-text body, or a JSON object
// {"error":"rate limit exceeded","retry_after":seconds} when the request
// accepts application/json. It panics when f is nil.
func WithDenied(f DeniedFunc) Option {
	refuseNil("WithDenied", f == nil)
	return func(c *config) { c.denied = f }
}
