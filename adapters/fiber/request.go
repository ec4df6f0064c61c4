package fiberlimit

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// request is the [httplimit.Request] of a fiber request.
//
// fasthttp reuses a request's buffers once its handler returns, and the
// strings fiber hands out point into them (unless the app is Immutable); a
// key built from them is kept by the limiter's store. So every string a
// request returns is a copy of its own, valid after the request.
type request struct {
	c      *fiber.Ctx
	routes *routes
	// Check decides the request in it, pooled with the request.
	httplimit.CheckBuffer
}

// Context returns c.UserContext(): context.Background() unless a handler
// before the middleware set one with c.SetUserContext. fasthttp gives a
// request no context of its own.
func (r *request) Context() context.Context { return r.c.UserContext() }

// Method returns the HTTP method: a standard one as fiber's own string from
// fiber.DefaultMethods, any other as a copy.
func (r *request) Method() string {
	m := r.c.Request().Header.Method()
	for _, d := range fiber.DefaultMethods {
		if string(m) == d {
			return d
		}
	}
	return string(m)
}

func (r *request) Path() string { return strings.Clone(r.c.Path()) }

// Route returns the path of the route the middleware runs in, such as
// "/r/:id" (registered paths are never reused), or "" when the middleware
// runs in a route added by app.Use or group.Use: there fiber has not yet
// matched the route that will handle the request, and the Use prefix is
// shared by every route under it.
func (r *request) Route() string { return r.routes.path(r.c) }

func (r *request) Header(name string) string {
	return string(r.c.Request().Header.Peek(name))
}

func (r *request) HeaderValues(name string) []string {
	bs := r.c.Request().Header.PeekAll(name)
	if len(bs) == 0 {
		return nil
	}
	vs := make([]string, len(bs))
	for i, b := range bs {
		vs[i] = string(b)
	}
	return vs
}

func (r *request) Query(name string) string {
	return string(r.c.Context().QueryArgs().Peek(name))
}

// RemoteAddr returns the address of the TCP peer, "host:port", an
// IPv4-mapped IPv6 address written as IPv4. It is never read from a proxy
// header, as c.IP() may be: [httplimit.ClientIP] believes proxies only as
// [httplimit.TrustProxies] says.
func (r *request) RemoteAddr() string {
	if ap := r.RemoteAddrPort(); ap.IsValid() {
		return ap.String() // one allocation where t.String() takes three
	}
	return r.c.Context().RemoteAddr().String()
}

// RemoteAddrPort returns the address of the TCP peer, an IPv4-mapped IPv6
// address unmapped, or the zero AddrPort when the peer is not a TCP
// address with an IP. It allocates nothing: [httplimit.ClientIP] reads it
// instead of parsing RemoteAddr.
func (r *request) RemoteAddrPort() netip.AddrPort {
	if t, ok := r.c.Context().RemoteAddr().(*net.TCPAddr); ok {
		if ap := t.AddrPort(); ap.Addr().IsValid() {
			return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
	}
	return netip.AddrPort{}
}

// HTTPRequest returns nil: a fiber request has no *http.Request.
func (r *request) HTTPRequest() *http.Request { return nil }

// Context returns the *fiber.Ctx behind r, or nil when r is not a request of
// this package's middleware. It lets a key, cost or skip function reach what
// [httplimit.Request] does not expose (route parameters, locals set by
// earlier handlers); it is valid only during the call r is passed to. The
// strings it hands out (c.Params, c.Get, …) point into buffers fasthttp
// reuses unless the app is Immutable, so a key function must return a copy:
//
//	httplimit.WithKey(func(r httplimit.Request) (string, error) {
//		return strings.Clone(fiberlimit.Context(r).Params("tenant")), nil
//	})
func Context(r httplimit.Request) *fiber.Ctx {
	if fr, ok := r.(*request); ok {
		return fr.c
	}
	return nil
}

// routes tells the routes an app's requests are handled by from the
// routes app.Use and group.Use add, which fiber.Route does not tell apart
// in its exported fields. app.GetRoutes(true) lists the former: copies that
// share their Handlers' backing array with the *fiber.Route c.Route()
// returns, so that method, path and the address of the first handler
// identify one. The set is built per app, and again whenever the app's
// handler count (which every registration changes) does.
type routes struct {
	cur atomic.Pointer[routeSet]
}

type routeSet struct {
	app   *fiber.App
	count uint32
	ids   map[routeID]struct{}
}

type routeID struct {
	method, path string
	first        *fiber.Handler
}

// path returns the path of c's route, or "" when a Use route runs c.
func (rs *routes) path(c *fiber.Ctx) string {
	rt := c.Route()
	if len(rt.Handlers) == 0 {
		return "" // fiber's stand-in when no route matched
	}
	app := c.App()
	set := rs.cur.Load()
	if set == nil || set.app != app || set.count != app.HandlersCount() {
		set = &routeSet{app: app, count: app.HandlersCount(), ids: map[routeID]struct{}{}}
		for _, r := range app.GetRoutes(true) {
			if len(r.Handlers) > 0 {
				set.ids[routeID{r.Method, r.Path, &r.Handlers[0]}] = struct{}{}
			}
		}
		rs.cur.Store(set)
	}
	if _, ok := set.ids[routeID{rt.Method, rt.Path, &rt.Handlers[0]}]; !ok {
		return ""
	}
	return rt.Path
}
