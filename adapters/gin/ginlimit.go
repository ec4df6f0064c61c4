package ginlimit

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// Middleware returns gin middleware that limits each request with l, as
// [httplimit.Middleware] does for net/http: it keys the request (default the
// peer's IP address), admits its cost, sets the rate-limit headers and either
// lets the chain go on or writes 429 Too Many Requests (503 when the limiter
// fails, unless it fails open ([ratelimit.WithFailOpen]); 400 when the request cannot be
// keyed or costed; 499 or 503 when its context ends first) and aborts the
// chain. Use it for a whole engine or group (r.Use) or for one route
// (r.GET(path, Middleware(l), h)). The request's context bounds the limiter
// call. The returned handler is safe for concurrent use. Middleware panics
// when l, an option or an option's function is nil.
func Middleware(l *ratelimit.Limiter, opts ...httplimit.Option) gin.HandlerFunc {
	return handler(httplimit.NewEngine(l, opts...))
}

// LimitByIP returns gin middleware that limits each client IP address to
// rates, over a store in memory of its own, with nothing to start or close:
//
//	r.Use(ginlimit.LimitByIP(ratelimit.PerMinute(100)))
//
// It panics, as [httplimit.LimitByIP] does, when the rates are invalid,
// with a message naming the value.
func LimitByIP(rates ...ratelimit.Rate) gin.HandlerFunc {
	return handler(httplimit.NewIPEngine(rates...))
}

func handler(e *httplimit.Engine) gin.HandlerFunc {
	return func(c *gin.Context) {
		pass, p := e.Handle(c.Writer, request{c})
		switch {
		case !pass:
			c.Abort()
		case p != nil:
			resp := &response{c: c}
			defer p.Settle(request{c}, resp)
			c.Next()
			resp.done = true
		}
	}
}

// response is the [httplimit.Response] of a gin request, read from
// c.Writer once the rest of the chain has run.
type response struct {
	c    *gin.Context
	done bool // the chain returned: it did not panic
}

func (r *response) Status() int {
	if !r.done {
		return http.StatusInternalServerError
	}
	return r.c.Writer.Status()
}

func (r *response) Written() int64            { return int64(max(r.c.Writer.Size(), 0)) }
func (r *response) Header(name string) string { return r.c.Writer.Header().Get(name) }

// Context returns the [gin.Context] behind r, or nil when r is not a request
// of this package's middleware. It lets a key, cost or skip function read
// what [httplimit.Request] does not expose (route parameters, values set by
// earlier middleware):
//
//	httplimit.WithKey(func(r httplimit.Request) (string, error) {
//		return ginlimit.Context(r).Param("tenant"), nil
//	})
//
// Like r, the context is only valid during the call r is passed to.
func Context(r httplimit.Request) *gin.Context {
	if g, ok := r.(request); ok {
		return g.c
	}
	return nil
}

// request is the [httplimit.Request] of a gin request. A struct holding one
// pointer, it converts to an interface without an allocation.
type request struct{ c *gin.Context }

func (r request) Context() context.Context          { return r.c.Request.Context() }
func (r request) Method() string                    { return r.c.Request.Method }
func (r request) Path() string                      { return r.c.Request.URL.Path }
func (r request) Route() string                     { return r.c.FullPath() }
func (r request) Header(name string) string         { return r.c.GetHeader(name) }
func (r request) HeaderValues(name string) []string { return r.c.Request.Header.Values(name) }
func (r request) Query(name string) string          { return r.c.Query(name) }
func (r request) RemoteAddr() string                { return r.c.Request.RemoteAddr }
func (r request) HTTPRequest() *http.Request        { return r.c.Request }
