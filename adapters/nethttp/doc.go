// Package httplimit is the net/http side of ratelimit: middleware, handler
// decorators and an outbound [http.RoundTripper], plus the
// framework-neutral pieces the gin, echo and fiber adapters reuse — key
// functions, the RateLimit / X-RateLimit headers, and the responses to a
// denial or a store failure, all in [Engine].
//
//	l, _ := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.PerSecond(10), ratelimit.PerMinute(100)})
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /hello", hello)
//	http.ListenAndServe(":8080", httplimit.Middleware(l)(mux))
//
// Every request is keyed (by default by the peer's IP address; see
// [ClientIP] for proxies and IPv6, and [Header], [Query], [Route], [Method],
// [ContextValue], [Static], [Join]), weighed ([WithCost]) and put to the
// limiter in one call, whose [ratelimit.Decision] gives the headers: no
// second store call. A denied request gets 429 Too Many Requests,
// Retry-After in seconds and a short body (JSON when it accepts JSON); a
// request whose limit cannot be checked gets 503, or goes through with
// [WithFailOpen]. [WithWait] holds a request until it fits instead of
// denying it.
//
// The middleware allocates two values per request beyond what the handler
// does (the header values and their backing array); a skipped request,
// none.
package httplimit
