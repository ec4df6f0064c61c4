package ginlimit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/gorate/ratelimit"
	ginlimit "github.com/gorate/ratelimit/adapters/gin"
)

// discard is a ResponseWriter that keeps nothing but its header map, so
// that a benchmark counts the allocations of the server, not of a recorder.
type discard struct{ h http.Header }

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) Write(b []byte) (int, error) { return len(b), nil }
func (w *discard) WriteHeader(int)             {}

// BenchmarkMiddleware times one request through a gin engine: bare, and
// behind the middleware over a memory-store limiter, admitted (a limit far
// above what the benchmark reaches) and denied. The difference between
// Bare and Allowed is what the middleware costs.
func BenchmarkMiddleware(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	for _, c := range []struct {
		name  string
		rates []ratelimit.Rate // nil: no middleware
	}{
		{"Bare", nil},
		{"Allowed", []ratelimit.Rate{ratelimit.PerSecond(1 << 40)}},
		{"Denied", []ratelimit.Rate{ratelimit.PerHour(1)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := gin.New()
			if c.rates != nil {
				r.Use(ginlimit.Middleware(newLimiter(b, c.rates...)))
			}
			r.GET("/r/:id", ok)
			req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/r/1", nil)
			req.RemoteAddr = "192.0.2.1:1234"
			w := &discard{h: make(http.Header)}
			r.ServeHTTP(w, req) // the denied case's first request passes
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				r.ServeHTTP(w, req)
			}
		})
	}
}
