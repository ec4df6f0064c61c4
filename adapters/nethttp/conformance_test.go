package httplimit_test

import (
	"io"
	"net/http"
	"testing"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	"github.com/gorate/ratelimit/adapters/nethttp/httplimittest"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// serveMux returns a ServeMux whose two routes answer "ok" through mw: the
// middleware wraps each route, so that the request's Pattern is set.
func serveMux(mw func(http.Handler) http.Handler) *http.ServeMux {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", mw(ok))
	mux.Handle("GET /r/{id}", mw(ok))
	return mux
}

func TestConformance(t *testing.T) {
	httplimittest.Run(t, httplimittest.Harness{
		New: func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) httplimittest.Serve {
			return httplimittest.Recorder(serveMux(httplimit.Middleware(l, opts...)))
		},
		NewPerRoute: func(t *testing.T, global, route *ratelimit.Limiter) httplimittest.Serve {
			ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
			mux := http.NewServeMux()
			mux.Handle("GET /{$}", ok)
			mux.Handle("GET /r/{id}", httplimit.Handler(route, ok, httplimit.WithName("route")))
			return httplimittest.Recorder(httplimit.Middleware(global)(mux))
		},
	})
}
