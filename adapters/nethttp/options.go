package httplimit

import (
	"time"

	ratelimit "github.com/gorate/ratelimit/core"
)

// Option configures an [Engine], and so the middleware of every adapter.
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
}

func newConfig(opts []Option) config {
	c := config{key: ClientIP(), headers: HeadersIETF | HeadersXRateLimit}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// CostFunc returns how many units a request takes (its weight). A negative
// cost or an error goes to the middleware's error policy.
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
// address, no proxy trusted).
func WithKey(k KeyFunc) Option { return func(c *config) { c.key = k } }

// WithCost sets each request's weight. Default: 1.
func WithCost(f CostFunc) Option { return func(c *config) { c.cost = f } }

// WithSkip lets requests for which skip returns true through without a
// store call or headers. Default: none skipped.
func WithSkip(skip func(Request) bool) Option { return func(c *config) { c.skip = skip } }

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

// WithFailOpen lets requests through, without headers, when the limit
// cannot be checked: the store fails, the key or cost function fails, or
// the request's context ends during the store call. Default: fail closed,
// answering 503 Service Unavailable.
func WithFailOpen() Option { return func(c *config) { c.failOpen = true } }

// WithErrorHook calls f with every such failure, before the policy applies.
// Default: none.
func WithErrorHook(f func(Request, error)) Option { return func(c *config) { c.onError = f } }

// WithDenied sets the response to a denied request. Default: 429 Too Many
// Requests with a one-line plain-text body, or a JSON object
// {"error":"rate limit exceeded","retry_after":seconds} when the request
// accepts application/json.
func WithDenied(f DeniedFunc) Option { return func(c *config) { c.denied = f } }
