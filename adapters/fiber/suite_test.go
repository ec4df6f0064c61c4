package fiberlimit_test

import (
	"net/http"
	"testing"

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
		return handlerOf(t, app)
	})
}

func TestLimitByIP(t *testing.T) {
	httplimittest.RunLimitByIP(t, func(rates ...ratelimit.Rate) http.Handler {
		app := newApp()
		app.Get("/", fiberlimit.LimitByIP(rates...), ok)
		return handlerOf(t, app)
	})
}
