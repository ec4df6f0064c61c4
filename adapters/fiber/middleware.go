package fiberlimit

import (
	"unsafe"

	"github.com/gofiber/fiber/v2"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// Middleware returns fiber middleware that limits each request with l, as
// [httplimit.Middleware] does for net/http: it keys the request
// ([httplimit.WithKey], default the client IP), admits its cost
// ([httplimit.WithCost], default 1), sets the rate-limit headers
// ([httplimit.WithHeaders]) and either calls the next handler or answers
// 429 Too Many Requests with Retry-After and stops the chain. A store
// failure answers 503 unless [httplimit.WithFailOpen]; a request that
// cannot be keyed or costed, 400 ([httplimit.WithBadRequest]). The store
// call is bounded by the request's user context (see [Request.Context]),
// and a request whose user context ends first is not run.
//
// Use it with app.Use to limit every request, or on one route
// (app.Get("/r/:id", mw, h)) to limit that route; only there does
// [httplimit.Route] see the route's path. Give middlewares that share a
// limiter distinct [httplimit.WithName]s to keep their limits apart. The
// handler is safe for concurrent use. Middleware panics when l, an option
// or an option's function is nil.
func Middleware(l *ratelimit.Limiter, opts ...httplimit.Option) fiber.Handler {
	e := httplimit.NewEngine(l, opts...)
	return func(c *fiber.Ctx) error {
		var o httplimit.Outcome
		e.Check(Request{c}, &o)
		h := &c.Response().Header
		for i := range o.Headers.Len() {
			// The names are canonical and the values hold no line breaks, so
			// SetCanonical skips what Set would redo (a third of the
			// middleware's time). It copies both, so the byte views of the
			// strings are neither written nor kept.
			name, value := o.Headers.At(i)
			h.SetCanonical(bytesOf(name), bytesOf(value))
		}
		if o.Pass {
			return c.Next()
		}
		if o.Reply.ContentType != "" {
			h.SetContentType(o.Reply.ContentType)
		}
		c.Status(o.Reply.Status)
		c.Response().SetBody(o.Reply.Body) // a copy: Reply bodies may be shared
		return nil
	}
}

// bytesOf returns the bytes of s without a copy, for a callee that only
// reads them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
