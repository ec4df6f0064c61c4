package fiberlimit

import (
	"sync"
	"unsafe"

	"github.com/gofiber/fiber/v2"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// Middleware returns fiber middleware that limits each request with l, as
// [httplimit.Middleware] does for net/http: it keys the request
// ([httplimit.WithKey], default the client IP), admits its cost
// ([httplimit.WithCost], default 1), sets the rate-limit headers
// ([httplimit.WithHeaders]) and either calls the next handler or answers
// 429 Too Many Requests with Retry-After and stops the chain. A limiter
// failure answers 503 unless the limiter fails open
// ([ratelimit.WithFailOpen]); a request that
// cannot be keyed or costed, 400. The limiter call is bounded by the
// request's user context (c.UserContext()), and a request whose user
// context ends first is not run.
//
// Use it with app.Use to limit every request, or on one route
// (app.Get("/r/:id", mw, h)) to limit that route; only there does
// [httplimit.Route] see the route's path. The handler is safe for
// concurrent use. Middleware panics when l, an option or an option's
// function is nil.
func Middleware(l *ratelimit.Limiter, opts ...httplimit.Option) fiber.Handler {
	return handler(httplimit.NewEngine(l, opts...))
}

// LimitByIP returns fiber middleware that limits each client IP address to
// rates, over a store in memory of its own, with nothing to start or close:
//
//	app.Use(fiberlimit.LimitByIP(ratelimit.PerMinute(100)))
//
// It panics, as [httplimit.LimitByIP] does, when the rates are invalid,
// with a message naming the value.
func LimitByIP(rates ...ratelimit.Rate) fiber.Handler {
	return handler(httplimit.NewIPEngine(rates...))
}

func handler(e *httplimit.Engine) fiber.Handler {
	rs := new(routes)
	// The handler takes a request from the pool and puts it back once Check
	// returns, which a Request's validity (the call it is passed to)
	// allows: a pointer converts to an interface without the allocation a
	// struct of two pointers would cost, and Check decides in the request's
	// CheckBuffer, so that one pool serves both.
	requests := sync.Pool{New: func() any { return &request{routes: rs} }}
	return func(c *fiber.Ctx) error {
		r := requests.Get().(*request)
		r.c = c
		h := &c.Response().Header
		pass, reply, p := e.Check(r, func(name string, value []byte) {
			// The names are canonical and the values hold no line breaks, so
			// SetCanonical skips what Set would redo. It copies both, so
			// neither the byte view of the name nor the value is written or
			// kept.
			h.SetCanonical(bytesOf(name), value)
		})
		if p != nil {
			return settle(c, r, p, &requests)
		}
		r.c = nil
		requests.Put(r)
		if pass {
			return c.Next()
		}
		if reply.ContentType != "" {
			h.SetContentType(reply.ContentType)
		}
		c.Status(reply.Status)
		c.Response().SetBody(reply.Body) // a copy: reply bodies may be shared
		return nil
	}
}

// bytesOf returns the bytes of s without a copy, for a callee that only
// reads them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
