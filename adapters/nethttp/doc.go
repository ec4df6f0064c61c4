// Package httplimit is the net/http side of ratelimit: middleware, an
// outbound [http.RoundTripper] ([Transport]), and the request logic the gin,
// echo and fiber adapters share ([Engine]).
//
// The common case, in-memory and per client IP, is one expression:
//
//	http.ListenAndServe(":8080", httplimit.LimitByIP(ratelimit.PerSecond(10), ratelimit.PerHour(1000))(mux))
//
// [Middleware] takes any [ratelimit.Limiter] — any store, rates per key —
// and options. Every request is keyed (by default by the peer's IP address;
// see [ClientIP] and [TrustProxies] for proxies and IPv6, and [Header],
// [Query], [Route], [Method], [ContextValue], joined by [WithKey]), weighed
// ([WithCost]) and put to the limiter in one call, whose
// [ratelimit.Decision] gives the headers. A denied request gets 429 Too Many
// Requests, Retry-After in seconds and a short body (JSON when it accepts
// JSON). [WithWait] holds a request until it fits instead.
//
// The failures:
//
//   - The limiter fails (its store is down): 503, or the request goes
//     through, without rate-limit headers, when the limiter was built
//     [ratelimit.WithFailOpen] or [ratelimit.WithDryRun].
//   - The request cannot be keyed or costed (a missing API-key header, a
//     negative cost): 400, fail-open or not.
//   - The request's own context ends before the limiter answers (its
//     client went away mid-wait, say): the handler is not run; 499 when
//     the context was cancelled, 503 when its deadline passed.
//
// [WithErrorHook] sees every failure; [WithReply] writes any reply.
//
// [WithLists] takes an allow and a deny [List] of client addresses and keys:
// a denied request gets 403 Forbidden, an allowed one passes uncounted.
//
// A request can also be counted or costed by its response, once the
// handler has returned: [WithCountIf] counts only some responses (only
// [Failed] ones, say), [WithResponseCost] sets the cost from the
// [Response] (bytes written, a header the handler set). The request is
// still taken up front, and settled after the handler: refunded when it
// does not count, charged or refunded the difference of its response cost
// ([Pending.Settle]).
//
// Behind a reverse proxy, the peer is the proxy: name it, and the one
// header it sets, with [TrustProxies]. No other forwarding header is ever
// read: the client writes those.
//
// A nil limiter, a nil [Option] or an option given a nil function panics
// when the option or the middleware is built, never on a request.
//
// The middleware allocates one value per admitted request beyond what the
// handler does (a block holding the header values); a skipped request,
// none. A request settled by its response costs a few more.
package httplimit
