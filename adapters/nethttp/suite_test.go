package httplimit_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	"github.com/gorate/ratelimit/adapters/nethttp/httplimittest"
)

// TestSuite wraps each route's handler, so that the request's Pattern is
// set when the middleware runs.
func TestSuite(t *testing.T) {
	httplimittest.Run(t, func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) http.Handler {
		mw := httplimit.Middleware(l, opts...)
		ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
		mux := http.NewServeMux()
		mux.Handle("GET /{$}", mw(ok))
		mux.Handle("GET /r/{id}", mw(ok))
		return mux
	})
}
