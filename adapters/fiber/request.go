package fiberlimit

import (
	"context"
	"net"
	"net/netip"
	"reflect"
	"strings"

	"github.com/gofiber/fiber/v2"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// Request is the [httplimit.Request] of a fiber request. A struct holding
// one pointer, it converts to an interface without an allocation.
//
// fasthttp reuses a request's buffers once its handler returns, and the
// strings fiber hands out point into them (unless the app is Immutable);
// a key built from them is kept by the limiter's store. So every string a
// method of Request returns is a copy of its own, valid after the request.
// A Request itself is valid only while its handler runs, like its
// *fiber.Ctx.
type Request struct{ C *fiber.Ctx }

var _ httplimit.Request = Request{}

// Context returns C.UserContext(): context.Background() unless a handler
// before the middleware set one with C.SetUserContext. fasthttp gives a
// request no context of its own, so set one (with a deadline, say) to
// bound the limiter's store call.
func (r Request) Context() context.Context { return r.C.UserContext() }

// Method returns the HTTP method: a standard one as fiber's own string
// from fiber.DefaultMethods, any other as a copy.
func (r Request) Method() string {
	m := r.C.Request().Header.Method()
	for _, d := range fiber.DefaultMethods {
		if string(m) == d {
			return d
		}
	}
	return string(m)
}

// Path returns a copy of C.Path(), the URL path.
func (r Request) Path() string { return strings.Clone(r.C.Path()) }

// Route returns the path of the route the middleware runs in, such as
// "/r/:id" (fiber's Route().Path; registered paths are never reused). A
// middleware added with app.Use or group.Use runs before fiber has matched
// the route that will handle the request, and its Route().Path is only the
// Use prefix, shared by every route under it; so there Route returns "",
// and [httplimit.Route] reports [httplimit.ErrEmptyKey] rather than limit
// every route under one key. Mount the middleware on the routes themselves
// to key by route.
func (r Request) Route() string {
	rt := r.C.Route()
	if isUse(rt) {
		return ""
	}
	return rt.Path
}

// useField is the index of fiber.Route's unexported use field, true on
// the routes app.Use and group.Use add (their exported Method is the
// method of the request), or -1 if fiber.Route has no such field.
var useField = func() int {
	f, ok := reflect.TypeFor[fiber.Route]().FieldByName("use")
	if !ok || len(f.Index) != 1 || f.Type.Kind() != reflect.Bool {
		return -1
	}
	return f.Index[0]
}()

// isUse reports whether rt was added by app.Use or group.Use.
func isUse(rt *fiber.Route) bool {
	return useField >= 0 && reflect.ValueOf(rt).Elem().Field(useField).Bool()
}

// Header returns a copy of the first value of the named request header,
// or "".
func (r Request) Header(name string) string {
	return string(r.C.Request().Header.Peek(name))
}

// HeaderValues returns copies of every value of the named request header,
// in order, or nil.
func (r Request) HeaderValues(name string) []string {
	bs := r.C.Request().Header.PeekAll(name)
	if len(bs) == 0 {
		return nil
	}
	vs := make([]string, len(bs))
	for i, b := range bs {
		vs[i] = string(b)
	}
	return vs
}

// Query returns a copy of the first value of the named query parameter,
// or "".
func (r Request) Query(name string) string {
	return string(r.C.Context().QueryArgs().Peek(name))
}

// RemoteAddr returns the address of the TCP peer, "host:port"
// (C.Context().RemoteAddr(), an IPv4-mapped IPv6 address written as IPv4).
// It is never read from a proxy header, as C.IP() may be:
// [httplimit.ClientIP] believes proxies, and reads the one header they
// set, only as [httplimit.TrustProxies] says.
func (r Request) RemoteAddr() string {
	a := r.C.Context().RemoteAddr()
	if t, ok := a.(*net.TCPAddr); ok {
		// One allocation where t.String() takes three.
		if ap := t.AddrPort(); ap.Addr().IsValid() {
			return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
		}
	}
	return a.String()
}

// Context returns the *fiber.Ctx behind r, or nil when r is not a fiber
// [Request]. It lets a key function, cost function, skip predicate or
// denied handler reach what [httplimit.Request] does not expose (route
// parameters, locals set by earlier handlers); it is valid only while the
// request's handler runs. The strings it hands out (c.Params, c.Get, …)
// point into buffers fasthttp reuses unless the app is Immutable, so a key
// function must return a copy:
//
//	httplimit.WithKey(func(r httplimit.Request) (string, error) {
//		return strings.Clone(fiberlimit.Context(r).Params("tenant")), nil
//	})
func Context(r httplimit.Request) *fiber.Ctx {
	if fr, ok := r.(Request); ok {
		return fr.C
	}
	return nil
}
