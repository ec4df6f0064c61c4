package httplimit

import (
	"context"
	"net/http"
)

// Request is what key, cost and skip functions see of an incoming request,
// the same under net/http, gin, echo and fiber: each adapter supplies one
// over its framework's request. A Request is valid only during the call it
// is passed to.
//
// A Request may also have the method RemoteAddrPort() netip.AddrPort,
// returning the address RemoteAddr writes, parsed (the zero AddrPort when
// the peer is not an IP address): [ClientIP] then reads it instead of
// parsing RemoteAddr. Fiber's does, so that its peer is never formatted
// only to be parsed again. A Request that embeds a [CheckBuffer] lends it
// to [Engine.Check].
type Request interface {
	// Context returns the request's context; it bounds the limiter's call.
	Context() context.Context
	// Method returns the HTTP method.
	Method() string
	// Path returns the URL path.
	Path() string
	// Route returns the pattern of the route that matched (net/http's
	// Request.Pattern, gin's FullPath, echo's Path, fiber's route path),
	// or "" when none did.
	Route() string
	// Header returns the first value of the named header, or "".
	Header(name string) string
	// HeaderValues returns every value of the named header, in order.
	HeaderValues(name string) []string
	// Query returns the first value of the named query parameter, or "".
	Query(name string) string
	// RemoteAddr returns the address of the peer that sent the request,
	// "host:port" or a bare host.
	RemoteAddr() string
	// HTTPRequest returns the *http.Request behind the request, or nil
	// under fiber, which has none.
	HTTPRequest() *http.Request
}

// request is the Request of a net/http request. A struct holding one
// pointer, it converts to an interface without an allocation.
type request struct{ r *http.Request }

func (r request) Context() context.Context { return r.r.Context() }
func (r request) Method() string           { return r.r.Method }
func (r request) Path() string             { return r.r.URL.Path }

// Route returns the http.ServeMux pattern that matched. A ServeMux sets it
// only once it has routed the request, so a middleware keyed by [Route]
// must wrap each route's handler, not the mux.
func (r request) Route() string                     { return r.r.Pattern }
func (r request) Header(name string) string         { return r.r.Header.Get(name) }
func (r request) HeaderValues(name string) []string { return r.r.Header.Values(name) }
func (r request) Query(name string) string          { return r.r.URL.Query().Get(name) }
func (r request) RemoteAddr() string                { return r.r.RemoteAddr }
func (r request) HTTPRequest() *http.Request        { return r.r }
