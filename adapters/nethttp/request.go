package httplimit

import (
	"context"
	"net/http"
)

// Request is what key functions, cost functions and skip predicates see of
// an incoming request. Each adapter supplies one over its framework's
// request, so that the logic of this package is written once for net/http,
// gin, echo and fiber. A Request is only valid during the call it is passed
// to.
type Request interface {
	// Context returns the request's context; it bounds every store call.
	Context() context.Context
	// Method returns the HTTP method.
	Method() string
	// Path returns the URL path.
	Path() string
	// Route returns the pattern of the route that matched (net/http's
	// Request.Pattern, gin's FullPath, echo's Path, fiber's Route().Path),
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
}

// HTTPRequest returns the *http.Request behind r, or nil when r's framework
// has none (fiber). It lets a custom key function reach what Request does
// not expose.
func HTTPRequest(r Request) *http.Request {
	if h, ok := r.(interface{ HTTPRequest() *http.Request }); ok {
		return h.HTTPRequest()
	}
	return nil
}

// NetHTTPRequest is the [Request] of a net/http request. A struct holding
// one pointer, it converts to an interface without an allocation.
type NetHTTPRequest struct{ R *http.Request }

var _ Request = NetHTTPRequest{}

// Context returns r.R.Context().
func (r NetHTTPRequest) Context() context.Context { return r.R.Context() }

// Method returns r.R.Method.
func (r NetHTTPRequest) Method() string { return r.R.Method }

// Path returns r.R.URL.Path.
func (r NetHTTPRequest) Path() string { return r.R.URL.Path }

// Route returns r.R.Pattern, the http.ServeMux pattern that matched. A
// ServeMux sets it only when it has routed the request, so a middleware
// keyed by [Route] must wrap each route's handler ([Handler]), not the mux.
func (r NetHTTPRequest) Route() string { return r.R.Pattern }

// Header returns r.R.Header.Get(name).
func (r NetHTTPRequest) Header(name string) string { return r.R.Header.Get(name) }

// HeaderValues returns r.R.Header.Values(name).
func (r NetHTTPRequest) HeaderValues(name string) []string { return r.R.Header.Values(name) }

// Query returns the first value of the query parameter name.
func (r NetHTTPRequest) Query(name string) string { return r.R.URL.Query().Get(name) }

// RemoteAddr returns r.R.RemoteAddr.
func (r NetHTTPRequest) RemoteAddr() string { return r.R.RemoteAddr }

// HTTPRequest returns r.R.
func (r NetHTTPRequest) HTTPRequest() *http.Request { return r.R }
