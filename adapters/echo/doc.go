// Package echolimit is the echo (v4) side of ratelimit: [Middleware] limits
// the requests of an [echo.Echo], a group or a single route with a
// [ratelimit.Limiter].
//
//	l, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.Per(5, 10*time.Second)})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer l.Close()
//	e := echo.New()
//	e.Use(echolimit.Middleware(l)) // every route: 5 per 10s per client IP
//	e.POST("/login", login, echolimit.Middleware(strict, httplimit.WithName("login"))) // one route
//	e.Start(":8080")
//
// All of the request logic is that of [httplimit], shared with the net/http,
// gin and fiber adapters: the options ([httplimit.WithKey],
// [httplimit.WithCost], [httplimit.WithFailOpen], …), the key functions
// ([httplimit.ClientIP], [httplimit.Route], …), the RateLimit and
// X-RateLimit headers and the 429, 400 and 503 responses. This package only maps an
// [echo.Context] onto an [httplimit.Request]: its Route is the echo route
// pattern (echo.Context.Path, "/users/:id"), its RemoteAddr the peer's
// address (not echo.Context.RealIP: [httplimit.ClientIP] decides which
// proxies to trust), and [Context] gives a custom key function the
// [echo.Context] behind a Request.
//
// A denied request is answered by the middleware itself, which returns nil:
// echo's HTTP error handler does not see it, so the response is the same as
// that of the other adapters.
//
// The middleware costs what the [httplimit] middleware does, two allocations
// per limited request (the header values), and adds none of its own: the
// wrapper that carries the [echo.Context] (an interface, two words) as an
// [httplimit.Request] comes from a [sync.Pool], which measured cheaper than
// allocating it. Echo itself adds one: it applies middleware on every
// request, so the handler closure each middleware returns is allocated per
// request, for this one as for any other.
package echolimit
