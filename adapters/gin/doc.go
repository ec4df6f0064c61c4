// Package ginlimit is the gin side of ratelimit: [Middleware] limits the
// requests of a [gin.Engine], a route group or a single route with a
// [ratelimit.Limiter], and [LimitByIP] is the common case in one
// expression.
//
//	r := gin.New()
//	r.Use(ginlimit.LimitByIP(ratelimit.PerSecond(10), ratelimit.PerHour(1000))) // every route, per client IP
//	r.POST("/login", ginlimit.Middleware(login), handleLogin)                  // one route, a limiter of its own
//
// All of the request logic is that of [httplimit], shared with the net/http,
// echo and fiber adapters: the options ([httplimit.WithKey],
// [httplimit.WithCost], [httplimit.WithWait], …), the key functions
// ([httplimit.ClientIP], [httplimit.Route], …), the RateLimit and
// X-RateLimit headers and the 429, 400 and 503 responses. This package only
// maps a [gin.Context] onto an [httplimit.Request]: its Route is the gin
// route pattern ([gin.Context.FullPath], "/users/:id"), its RemoteAddr the
// peer's address (not [gin.Context.ClientIP]: [httplimit.ClientIP] decides
// which proxies to trust), and [Context] gives a custom key function the
// [gin.Context] behind a Request. The [httplimit.Response] of
// [httplimit.WithCountIf] and [httplimit.WithResponseCost] is read from
// c.Writer once the rest of the chain has run: its status and size.
//
// The middleware costs what the [httplimit] middleware does, one
// allocation per admitted request (the header values), and adds none of its
// own.
package ginlimit
