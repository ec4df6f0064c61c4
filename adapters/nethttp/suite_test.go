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
		mux.Handle("GET /reply", mw(http.HandlerFunc(reply)))
		return mux
	})
}

// reply is GET /reply: the answer httplimittest.ParseAnswer reads from the
// query.
func reply(w http.ResponseWriter, r *http.Request) {
	a := httplimittest.ParseAnswer(r.URL.Query().Get)
	if a.Panic {
		panic("the handler panics")
	}
	if a.Units != "" {
		w.Header().Set("X-Units", a.Units)
	}
	if a.Status != 0 {
		w.WriteHeader(a.Status)
	}
	if !a.Stream {
		if a.Body != nil {
			w.Write(a.Body)
		}
		return
	}
	rc := http.NewResponseController(w)
	half := len(a.Body) / 2
	for _, b := range [][]byte{a.Body[:half], a.Body[half:]} {
		w.Write(b)
		if err := rc.Flush(); err != nil {
			panic(err)
		}
	}
}
