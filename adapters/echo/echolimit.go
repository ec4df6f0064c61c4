package echolimit

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// Middleware returns echo middleware that limits each request with l, as
// [httplimit.Middleware] does for net/http: it keys the request (default the
// peer's IP address), admits its cost, sets the rate-limit headers and either
// calls the next handler or writes 429 Too Many Requests (503 when the
// limiter fails, unless it fails open ([ratelimit.WithFailOpen]); 400 when the request
// cannot be keyed or costed; 499 or 503 when its context ends first) and
// returns nil without calling it. Use it for a whole server or group (e.Use)
// or for one route (e.GET(path, h, Middleware(l))). The request's context
// bounds the limiter call. The returned middleware is safe for concurrent
// use. Middleware panics when l, an option or an option's function is nil.
func Middleware(l *ratelimit.Limiter, opts ...httplimit.Option) echo.MiddlewareFunc {
	return middleware(httplimit.NewEngine(l, opts...))
}

// LimitByIP returns echo middleware that limits each client IP address to
// rates, over a store in memory of its own, with nothing to start or close:
//
//	e.Use(echolimit.LimitByIP(ratelimit.PerMinute(100)))
//
// It panics, as [httplimit.LimitByIP] does, when the rates are invalid,
// with a message naming the value.
func LimitByIP(rates ...ratelimit.Rate) echo.MiddlewareFunc {
	return middleware(httplimit.NewIPEngine(rates...))
}

func middleware(e *httplimit.Engine) echo.MiddlewareFunc {
	// The middleware takes a request from the pool and puts it back once
	// Handle returns, which a Request's validity (the call it is passed to)
	// allows: a pointer converts to an interface without the allocation a
	// struct holding the two-word echo.Context would cost.
	requests := sync.Pool{New: func() any { return new(request) }}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := requests.Get().(*request)
			r.c = c
			pass, p := e.Handle(c.Response(), r)
			if p != nil {
				return settle(c, r, p, next, &requests)
			}
			r.c = nil
			requests.Put(r)
			if !pass {
				return nil
			}
			return next(c)
		}
	}
}

// settle runs next, then settles p by its response, then puts r, the
// request it was admitted as, back into requests.
func settle(c echo.Context, r *request, p *httplimit.Pending, next echo.HandlerFunc, requests *sync.Pool) error {
	resp := &response{c: c}
	defer func() {
		p.Settle(r, resp)
		r.c = nil
		requests.Put(r)
	}()
	resp.err = next(c)
	resp.done = true
	return resp.err
}

// response is the [httplimit.Response] of an echo request, read from
// c.Response() once next has returned.
type response struct {
	c    echo.Context
	err  error // next's
	done bool  // next returned: it did not panic
}

func (r *response) Status() int {
	res := r.c.Response()
	switch {
	case !r.done:
		return http.StatusInternalServerError
	case r.err == nil || res.Committed:
		return res.Status
	}
	var he *echo.HTTPError
	if errors.As(r.err, &he) {
		return he.Code
	}
	return http.StatusInternalServerError
}

func (r *response) Written() int64            { return r.c.Response().Size }
func (r *response) Header(name string) string { return r.c.Response().Header().Get(name) }

// Context returns the [echo.Context] behind r, or nil when r is not a
// request of this package's middleware. It lets a key, cost or skip function
// read what [httplimit.Request] does not expose (route parameters, values set
// by earlier middleware):
//
//	httplimit.WithKey(func(r httplimit.Request) (string, error) {
//		return echolimit.Context(r).Param("tenant"), nil
//	})
//
// Like r, the context is only valid during the call r is passed to.
func Context(r httplimit.Request) echo.Context {
	if e, ok := r.(*request); ok {
		return e.c
	}
	return nil
}

// request is the [httplimit.Request] of an echo request.
type request struct{ c echo.Context }

func (r *request) Context() context.Context          { return r.c.Request().Context() }
func (r *request) Method() string                    { return r.c.Request().Method }
func (r *request) Path() string                      { return r.c.Request().URL.Path }
func (r *request) Route() string                     { return r.c.Path() }
func (r *request) Header(name string) string         { return r.c.Request().Header.Get(name) }
func (r *request) HeaderValues(name string) []string { return r.c.Request().Header.Values(name) }
func (r *request) Query(name string) string          { return r.c.QueryParam(name) }
func (r *request) RemoteAddr() string                { return r.c.Request().RemoteAddr }
func (r *request) HTTPRequest() *http.Request        { return r.c.Request() }
