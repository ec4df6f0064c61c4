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
// [ClientIP] and [TrustProxies] for proxies and IPv6, and [Header], [Query],
// [Route], [Method], [ContextValue], [Static], [Join]), weighed ([WithCost])
// and put to the limiter in one call, whose [ratelimit.Decision] gives the
// headers: no second store call. A denied request gets 429 Too Many
// Requests, Retry-After in seconds and a short body (JSON when it accepts
// JSON). [WithWait] holds a request until it fits instead of denying it.
//
// The failures:
//
//   - The store fails: 503, or the request goes through with
//     [WithFailOpen].
//   - The request cannot be keyed or costed (a missing API-key header, a
//     negative cost): 400 ([WithBadRequest]), fail-open or not.
//   - The request's own context ends before the limiter answers (its
//     client went away mid-wait, say): the handler is not run; 499 when
//     the context was cancelled, 503 when its deadline passed.
//
// [WithErrorHook] sees every failure.
//
// Behind a reverse proxy, the peer is the proxy: name it, and the one
// header it sets, with [TrustProxies]:
//
//	// nginx: proxy_set_header X-Real-IP $remote_addr;
//	key := httplimit.ClientIP(httplimit.TrustProxies("X-Real-IP", netip.MustParsePrefix("10.0.0.2/32")))
//	http.ListenAndServe(":8080", httplimit.Middleware(l, httplimit.WithKey(key))(mux))
//
// Other recipes (nginx X-Forwarded-For, Cloudflare CF-Connecting-IP, AWS ALB
// X-Forwarded-For) are in [TrustProxies]. No other forwarding header is
// ever read: the client writes those.
//
// A nil limiter, a nil [Option] or an option given a nil function panics
// when the option or the middleware is built, never on a request.
//
// The middleware allocates two values per request beyond what the handler
// does (the header values and their backing array); a skipped request,
// none.
package httplimit
