package fiberlimit_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/gorate/ratelimit"
	fiberlimit "github.com/gorate/ratelimit/adapters/fiber"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	"github.com/gorate/ratelimit/adapters/nethttp/httplimittest"
)

// TestSuite mounts the middleware on each route, so that it sees the
// route's path ("/r/:id"); carryContext runs first.
func TestSuite(t *testing.T) {
	httplimittest.Run(t, func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) http.Handler {
		app := newApp()
		app.Use(carryContext)
		mw := fiberlimit.Middleware(l, opts...)
		app.Get("/", mw, ok)
		app.Get("/r/:id", mw, ok)
		app.Get("/reply", mw, reply)
		return handlerOf(t, app)
	})
}

// reply is GET /reply: the answer httplimittest.ParseAnswer reads from the
// query, an error as a fiber.Error, a stream through SendStream.
func reply(c *fiber.Ctx) error {
	a := httplimittest.ParseAnswer(func(name string) string { return c.Query(name) })
	if a.Panic {
		panic("the handler panics")
	}
	if a.Error {
		return fiber.NewError(a.Status)
	}
	if a.Units != "" {
		c.Set("X-Units", a.Units)
	}
	if a.Status != 0 {
		c.Status(a.Status)
	}
	switch {
	case a.Stream:
		return c.SendStream(bytes.NewReader(a.Body), len(a.Body))
	case a.Body != nil:
		return c.Send(a.Body)
	}
	return nil
}

func TestLimitByIP(t *testing.T) {
	httplimittest.RunLimitByIP(t, func(rates ...ratelimit.Rate) http.Handler {
		app := newApp()
		app.Get("/", fiberlimit.LimitByIP(rates...), ok)
		return handlerOf(t, app)
	})
}
