package httplimit

import (
	"net/http"

	"github.com/gorate/ratelimit"
)

// Middleware returns net/http middleware that limits each request with l:
// it keys the request ([WithKey], default the client IP), admits its cost
// ([WithCost], default 1), sets the rate-limit headers ([WithHeaders]) and
// either calls the next handler or answers 429 Too Many Requests with
// Retry-After. A limiter failure answers 503 (a limiter built
// [ratelimit.WithFailOpen] admits instead); a request that cannot be keyed
// or costed, 400. The request's context bounds
// the limiter call, and a request whose context ends first is not run.
//
// To limit one route more strictly, wrap that route's handler with a
// middleware of its own, over a limiter with a prefix of its own
// ([ratelimit.WithPrefix]) when it shares a store. Middleware panics when
// l, an option or an option's function is nil.
func Middleware(l *ratelimit.Limiter, opts ...Option) func(http.Handler) http.Handler {
	return middleware(NewEngine(l, opts...))
}

// LimitByIP returns middleware that limits each client IP address to
// rates, over a store in memory of its own: the common case in one
// expression, with nothing to start or close.
//
//	http.ListenAndServe(":8080", httplimit.LimitByIP(ratelimit.PerSecond(10), ratelimit.PerHour(1000))(mux))
//
// It is [Middleware] with default options over ratelimit.New(s, rates...)
// for a new memory store s; the key is the peer's address, so behind a
// proxy use Middleware with [ClientIP] and [TrustProxies]. Like
// regexp.MustCompile, it panics when the rates are invalid, with a message
// naming the value: rates are written in the program, and a bad one is a
// programming error.
func LimitByIP(rates ...ratelimit.Rate) func(http.Handler) http.Handler {
	return middleware(NewIPEngine(rates...))
}

func middleware(e *Engine) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return &handler{e: e, next: next}
	}
}

type handler struct {
	e    *Engine
	next http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pass, p := h.e.Handle(w, request{r})
	switch {
	case !pass:
	case p == nil:
		h.next.ServeHTTP(w, r)
	default:
		rw := &responseWriter{ResponseWriter: w}
		defer p.Settle(request{r}, (*written)(rw))
		h.next.ServeHTTP(rw, r)
		rw.done = true
	}
}
