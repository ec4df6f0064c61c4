// Package echolimit is the echo (v4) side of ratelimit: [Middleware] limits
// the requests of an [echo.Echo], a group or a single route with a
// [ratelimit.Limiter], and [LimitByIP] is the common case in one expression.
//
//	e := echo.New()
//	e.Use(echolimit.LimitByIP(ratelimit.PerSecond(10), ratelimit.PerHour(1000))) // every route, per client IP
//	e.POST("/login", handleLogin, echolimit.Middleware(login))                  // one route, a limiter of its own
//
// All of the request logic is that of [httplimit], shared with the net/http,
// gin and fiber adapters: the options ([httplimit.WithKey],
// [httplimit.WithCost], [httplimit.WithWait], …), the key functions
// ([httplimit.ClientIP], [httplimit.Route], …), the RateLimit and
// X-RateLimit headers and the 429, 400 and 503 responses. This package only maps an
// [echo.Context] onto an [httplimit.Request]: its Route is the echo route
// pattern (echo.Context.Path, "/users/:id"), its RemoteAddr the peer's
// address (not echo.Context.RealIP: [httplimit.ClientIP] decides which
// proxies to trust), and [Context] gives a custom key function the
// [echo.Context] behind a Request.
//
// The [httplimit.Response] of [httplimit.WithCountIf] and
// [httplimit.WithResponseCost] is read from c.Response() once next has
// returned; an error next returned before the response was committed
// counts as its [echo.HTTPError]'s code, or 500 (echo's error handler
// writes it later), with no bytes written.
//
// A denied request is answered by the middleware itself, which returns nil:
// echo's HTTP error handler does not see it, so the response is the same as
// that of the other adapters.
//
// The middleware costs what the [httplimit] middleware does, one allocation
// per admitted request (the header values), and adds none of its own. Echo
// itself adds one: it applies middleware on every request, so the handler
// closure each middleware returns is allocated per request, for this one as
// for any other.
package echolimit
