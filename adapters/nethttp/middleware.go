package httplimit

import (
	"net/http"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Middleware returns net/http middleware that limits each request with l:
// it keys the request ([WithKey], default the client IP), admits its cost
// ([WithCost], default 1), sets the rate-limit headers ([WithHeaders]) and
// either calls the next handler or answers 429 Too Many Requests with
// Retry-After. A store failure answers 503 unless [WithFailOpen]; a request
// that cannot be keyed or costed, 400 ([WithBadRequest]). The request's
// context bounds the store call, and a request whose context ends first is
// not run. It panics when l, an option or an option's function is nil.
func Middleware(l *ratelimit.Limiter, opts ...Option) func(http.Handler) http.Handler {
	e := NewEngine(l, opts...)
	return func(next http.Handler) http.Handler {
		return &handler{e: e, next: next}
	}
}

// Handler returns h limited by l: the decorator form of [Middleware], for
// one route or handler.
func Handler(l *ratelimit.Limiter, h http.Handler, opts ...Option) http.Handler {
	return Middleware(l, opts...)(h)
}

// HandlerFunc returns f limited by l, like [Handler].
func HandlerFunc(l *ratelimit.Limiter, f http.HandlerFunc, opts ...Option) http.HandlerFunc {
	return Handler(l, f, opts...).ServeHTTP
}

type handler struct {
	e    *Engine
	next http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.e.Handle(w, NetHTTPRequest{r}) {
		h.next.ServeHTTP(w, r)
	}
}

// Handle checks r and writes the outcome to w, for the adapters whose
// response is an http.ResponseWriter (net/http, gin, echo): the rate-limit
// headers, and the reply when the request does not pass. It reports whether
// the request goes on to the handler.
func (e *Engine) Handle(w http.ResponseWriter, r Request) (pass bool) {
	var o Outcome
	e.Check(r, &o)
	o.WriteHeaders(w.Header())
	if !o.Pass {
		o.WriteReply(w)
	}
	return o.Pass
}

// WriteHeaders sets o's headers in h, replacing any of the same name: with
// middlewares stacked, the innermost one's headers win. The values share one
// backing array, so that all of them cost one allocation.
func (o *Outcome) WriteHeaders(h http.Header) {
	n := o.Headers.Len()
	if n == 0 {
		return
	}
	vs := make([]string, n)
	for i := range n {
		name, v := o.Headers.At(i)
		vs[i] = v
		h[name] = vs[i : i+1 : i+1]
	}
}

// WriteReply writes o's Reply to w: the Content-Type, the status and the
// body. Call it after WriteHeaders when o.Pass is false.
func (o *Outcome) WriteReply(w http.ResponseWriter) {
	if o.Reply.ContentType != "" {
		w.Header().Set("Content-Type", o.Reply.ContentType)
	}
	w.WriteHeader(o.Reply.Status)
	w.Write(o.Reply.Body)
}
