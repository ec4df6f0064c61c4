// Package ginlimit is the gin side of ratelimit: [Middleware] limits the
// requests of a [gin.Engine], a route group or a single route with a
// [ratelimit.Limiter].
//
//	l, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.Per(5, 10*time.Second)})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer l.Close()
//	r := gin.New()
//	r.Use(ginlimit.Middleware(l)) // every route: 5 per 10s per client IP
//	r.GET("/login", ginlimit.Middleware(strict, httplimit.WithName("login")), login) // one route
//	r.Run(":8080")
//
// All of the request logic is that of [httplimit], shared with the net/http,
// echo and fiber adapters: the options ([httplimit.WithKey],
// [httplimit.WithCost], [httplimit.WithFailOpen], …), the key functions
// ([httplimit.ClientIP], [httplimit.Route], …), the RateLimit and
// X-RateLimit headers and the 429, 400 and 503 responses. This package only maps a
// [gin.Context] onto an [httplimit.Request]: its Route is the gin route
// pattern ([gin.Context.FullPath], "/users/:id"), its RemoteAddr the peer's
// address (not [gin.Context.ClientIP]: [httplimit.ClientIP] decides which
// proxies to trust), and [Context] gives a custom key function the
// [gin.Context] behind a Request.
//
// The middleware costs what the [httplimit] middleware does, two allocations
// per limited request (the header values), and adds none of its own.
package ginlimit
