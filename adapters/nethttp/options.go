package httplimit

import (
	"time"

	"github.com/gorate/ratelimit"
)

// Option configures the middleware of every adapter. A nil Option, or an
// option given a nil function, panics when the option or the middleware is
// built, as http.Handle does for a nil handler, never on a request.
type Option func(*config)

type config struct {
	key     KeyFunc
	cost    func(Request) (int64, error)
	skip    func(Request) bool
	headers HeaderMode
	wait    time.Duration
	onError func(Request, error)
	reply   func(Request, int, ratelimit.Decision, error) Reply
	lists   *lists // nil: none

	countIf  func(Request, Response) bool
	respCost func(Request, Response) (int64, error)
}

// settles reports whether requests are settled by their responses.
func (c *config) settles() bool { return c.countIf != nil || c.respCost != nil }

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

// Reply is a response the middleware writes instead of calling the handler.
type Reply struct {
	Status      int
	ContentType string
	Body        []byte
}

// WithKey sets how requests are keyed: by keys joined with "|" (a "|" or
// "\" inside a part is escaped with "\", so that different parts never join
// to the same key), failing with the first key's error. Default:
// [ClientIP](), the peer's address with no proxy trusted. It panics when
// keys is empty or holds nil.
func WithKey(keys ...KeyFunc) Option {
	refuseNil("WithKey", len(keys) == 0)
	for _, k := range keys {
		refuseNil("WithKey", k == nil)
	}
	k := keys[0]
	if len(keys) > 1 {
		k = join(keys)
	}
	return func(c *config) { c.key = k }
}

// WithCost sets each request's weight. Default: 1. An error or a negative
// cost means the request cannot be limited: the middleware answers it 400
// Bad Request, fail-open or not. A cost of 0 takes nothing and reports the
// key's standing in the headers. It panics when f is nil.
func WithCost(f func(Request) (int64, error)) Option {
	refuseNil("WithCost", f == nil)
	return func(c *config) { c.cost = f }
}

// WithSkip lets requests for which skip returns true through without a
// limiter call or headers. Default: none skipped. It panics when skip is
// nil.
func WithSkip(skip func(Request) bool) Option {
	refuseNil("WithSkip", skip == nil)
	return func(c *config) { c.skip = skip }
}

// WithHeaders selects the rate-limit headers written on every limited
// response. Default: HeadersIETF | HeadersXRateLimit.
func WithHeaders(m HeaderMode) Option { return func(c *config) { c.headers = m } }

// WithWait holds a denied request for up to max until the limiter admits
// it, instead of denying it at once; the request's context bounds the wait
// too. A request whose wait would be longer is denied at once. Default: 0
// (deny at once).
func WithWait(max time.Duration) Option { return func(c *config) { c.wait = max } }

// WithErrorHook calls f with every failure, before the reply: a limiter
// failure, a key or cost function's failure, the request's context ending
// before the limiter answered. A limiter built [ratelimit.WithFailOpen] (or
// [ratelimit.WithDryRun]) returns no error for a store failure while the
// request is live: its observers see it. Default: none. It panics when f is
// nil.
func WithErrorHook(f func(r Request, err error)) Option {
	refuseNil("WithErrorHook", f == nil)
	return func(c *config) { c.onError = f }
}

// WithReply sets the response to a request that does not pass. f gets the
// status the middleware would answer — 429 for a denial (d is the denying
// Decision, err nil); 403 for a request a deny list holds ([WithLists]; d
// zero, err nil); 400 for a request that cannot be keyed or costed, 499 or
// 503 for a failure (err the failure, d zero) — and returns the
// reply; a zero Status in it means that status, and a zero Reply the
// default one. The rate-limit headers and Retry-After are set whatever it
// returns.
//
// The default replies are a line of plain text ("rate limit exceeded"), or,
// when the request accepts application/json, a JSON object with it,
// {"error":"rate limit exceeded","retry_after":2}, retry_after in seconds
// and only on a denial a wait can cure. It panics when f is nil.
func WithReply(f func(r Request, status int, d ratelimit.Decision, err error) Reply) Option {
	refuseNil("WithReply", f == nil)
	return func(c *config) { c.reply = f }
}

// WithLists answers 403 Forbidden to every request that deny holds, and
// lets every other request that allow holds through to the handler
// uncounted — no limiter call, no rate-limit headers: deny wins. A list
// holds a request by the client's address or by its key (see [List.Set]).
// The client's address is resolved as [ClientIP] with opts resolves it:
// give WithLists the [TrustProxies] option your key uses, so that a list
// judges the client behind the proxy, not the proxy. A header from a peer
// opts does not trust is never read, so a client cannot write its way onto
// the allow list or off the deny list; a request whose peer is not an IP
// address matches no prefix.
//
// The lists judge a request once it is keyed, before its cost: a request
// that cannot be keyed gets 400 whatever they hold, and one that
// [WithSkip] skips is not judged. Either list may be nil, holding nothing;
// both nil, or a nil IPOption, panics. A 403 goes through [WithReply] like
// the other replies; the default one is "forbidden", in plain text or JSON.
func WithLists(allow, deny *List, opts ...IPOption) Option {
	refuseNil("WithLists", allow == nil && deny == nil)
	ls := &lists{allow: allow, deny: deny, ip: newIPConfig("WithLists", opts)}
	return func(c *config) { c.lists = ls }
}

// WithCountIf counts only the requests whose response count says so, such
// as [Failed] (only failed responses count: clients are limited in their
// errors, never in their successes) or [Succeeded]. Each request is still
// taken up front with its cost ([WithCost]), so that the limit holds among
// concurrent requests and a key whose count is spent is denied; after the
// handler, a request that does not count is refunded
// ([ratelimit.Limiter.Refund]). A request the limiter took nothing for
// (skipped, denied, failed open, answered 400) is never settled. The
// rate-limit headers tell the key's standing at admission, before the
// refund. Settling is described at [Pending.Settle]; the limiter's store
// must be a [ratelimit.Settler] (the middleware panics when built
// otherwise). Default: every admitted request counts. It panics when count
// is nil.
func WithCountIf(count func(r Request, resp Response) bool) Option {
	refuseNil("WithCountIf", count == nil)
	return func(c *config) { c.countIf = count }
}

// WithResponseCost sets each admitted request's cost from its response,
// once the handler has returned: bytes written, a header the handler set,
// the status. The request is admitted up front with its cost ([WithCost];
// by default 0 here: admitted while the key is not overdrawn, and paid in
// full once its response is known, so that requests in flight are not
// counted until they end — give WithCost an estimate to count them from the
// start), then settled: a larger response cost is charged
// ([ratelimit.Limiter.Charge]), a smaller one refunded. A charge may
// overdraw the key's rates: its next requests are then denied, with a
// Retry-After telling when the excess has expired. A response cost that is
// negative or an error, or a charge above the key's smallest limit, settles
// nothing and goes to the error hook ([WithErrorHook]), as do the store's
// failures. With [WithCountIf], a request that does not count is refunded
// whole, whatever its response cost. The limiter's store must be a
// [ratelimit.Settler] (the middleware panics when built otherwise).
// Default: the cost is the one admitted up front. It panics when cost is
// nil.
func WithResponseCost(cost func(r Request, resp Response) (int64, error)) Option {
	refuseNil("WithResponseCost", cost == nil)
	return func(c *config) { c.respCost = cost }
}
