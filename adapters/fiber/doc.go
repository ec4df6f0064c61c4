// Package fiberlimit is the fiber (v2) side of ratelimit: [Middleware]
// limits requests with a [ratelimit.Limiter], and [LimitByIP] is the common
// case in one expression.
//
//	app := fiber.New()
//	app.Use(fiberlimit.LimitByIP(ratelimit.PerSecond(10), ratelimit.PerHour(1000)))
//
// All of its request logic — key functions, costs, skips, headers and the
// responses to a denial or a failure — is [httplimit]'s, configured with
// the same [httplimit.Option] values as the net/http, gin and echo
// middleware, so the four answer alike. This package only maps a
// *fiber.Ctx onto an [httplimit.Request] and writes the outcome.
//
// The [httplimit.Response] of [httplimit.WithCountIf] and
// [httplimit.WithResponseCost] is read from c.Response() once the rest of
// the chain has returned: the body's length (Send, Write, SendString), a
// body stream's size (SendStream with a size, SendFile), or -1 for a
// stream of no set size, which is never read to find out; an error the
// chain returned counts as its [fiber.Error]'s code, or 500, as fiber's
// default error handler maps it.
//
// Three fiber particulars:
//
//   - fasthttp reuses request buffers after a handler returns, and the
//     limiter's store keeps keys; so every string the Request returns is a
//     copy, and keys stay right whether the app is Immutable or not.
//   - The client IP is the TCP peer's address, never fiber's ProxyHeader:
//     to key by an address a proxy forwarded, name the proxies and the one
//     header they set with [httplimit.TrustProxies].
//   - fasthttp requests carry no context: the limiter call is bounded by
//     the ctx's UserContext, which a handler before this one may set.
//
// Mounted with app.Use the middleware runs before fiber matches the final
// route, so [httplimit.Route] keys need the middleware on each route.
package fiberlimit
