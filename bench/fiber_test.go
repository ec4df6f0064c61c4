package bench

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/valyala/fasthttp"

	"github.com/gorate/ratelimit"
	fiberlimit "github.com/gorate/ratelimit/adapters/fiber"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// fiberImpls returns the fiber apps compared, each answering GET / with
// "ok": bare, behind ours on the memory store, and behind fiber's own
// limiter middleware (fixed window, in-memory), each keyed by client IP,
// writing its rate-limit headers and admitting everything.
func fiberImpls(b *testing.B) []struct {
	name string
	h    fasthttp.RequestHandler
} {
	app := func(mw ...fiber.Handler) fasthttp.RequestHandler {
		a := fiber.New(fiber.Config{DisableStartupMessage: true})
		for _, m := range mw {
			a.Use(m)
		}
		a.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok") })
		return a.Handler()
	}
	return []struct {
		name string
		h    fasthttp.RequestHandler
	}{
		{"impl=bare", app()},
		{"impl=ratelimit", app(fiberlimit.Middleware(ours(b, ratelimit.PerSecond(huge))))},
		{"impl=ratelimit-xheaders", app(fiberlimit.Middleware(ours(b, ratelimit.PerSecond(huge)), httplimit.WithHeaders(httplimit.HeadersXRateLimit)))},
		{"impl=fiber-limiter", app(limiter.New(limiter.Config{Max: huge, Expiration: time.Second}))},
	}
}

// fiberRequest returns a GET / request from remote, ready for a handler,
// as fasthttp's server would hand it over.
func fiberRequest(remote *net.TCPAddr) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.SetRequestURI("/")
	req.Header.SetMethod(fasthttp.MethodGet)
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, remote, nil)
	return &ctx
}

// BenchmarkFiberMiddleware times one request through each app from one
// client, with no network: the handler is called on a reused
// fasthttp.RequestCtx (goal for ours: no slower than fiber's limiter).
// Compare with benchstat -col /impl.
func BenchmarkFiberMiddleware(b *testing.B) {
	for _, impl := range fiberImpls(b) {
		b.Run(impl.name, func(b *testing.B) {
			ctx := fiberRequest(&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1234})
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				ctx.Response.Reset()
				impl.h(ctx)
			}
			reportCPU(b, start)
			if ctx.Response.StatusCode() != fasthttp.StatusOK {
				b.Fatalf("status %d", ctx.Response.StatusCode())
			}
		})
	}
}

// BenchmarkFiberMiddlewareParallel is the same from many goroutines, each
// a client of its own.
func BenchmarkFiberMiddlewareParallel(b *testing.B) {
	for _, impl := range fiberImpls(b) {
		b.Run(impl.name, func(b *testing.B) {
			var clients atomic.Int64
			b.ReportAllocs()
			start := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				i := clients.Add(1)
				ctx := fiberRequest(&net.TCPAddr{IP: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)), Port: 1234})
				for pb.Next() {
					ctx.Response.Reset()
					impl.h(ctx)
				}
				if ctx.Response.StatusCode() != fasthttp.StatusOK {
					b.Errorf("client %d: status %d", i, ctx.Response.StatusCode())
				}
			})
			reportCPU(b, start)
		})
	}
}
