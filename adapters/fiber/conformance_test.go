package fiberlimit_test

import (
	"testing"

	fiberlimit "github.com/gorate/ratelimit/adapters/fiber"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	"github.com/gorate/ratelimit/adapters/nethttp/httplimittest"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// newServer mounts the middleware on each route, so that it sees the
// route's path ("/r/:id"); carryContext runs first.
func newServer(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) httplimittest.Serve {
	t.Helper()
	app := newApp()
	app.Use(carryContext)
	mw := fiberlimit.Middleware(l, opts...)
	app.Get("/", mw, ok)
	app.Get("/r/:id", mw, ok)
	t.Cleanup(func() { app.Shutdown() })
	return serve(t, app)
}

func TestConformance(t *testing.T) {
	httplimittest.Run(t, httplimittest.Harness{
		New: newServer,
		NewPerRoute: func(t *testing.T, global, route *ratelimit.Limiter) httplimittest.Serve {
			app := newApp()
			app.Use(carryContext, fiberlimit.Middleware(global))
			app.Get("/", ok)
			app.Get("/r/:id", fiberlimit.Middleware(route, httplimit.WithName("route")), ok)
			t.Cleanup(func() { app.Shutdown() })
			return serve(t, app)
		},
	})
}
