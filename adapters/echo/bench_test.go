package echolimit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/gorate/ratelimit"
	echolimit "github.com/gorate/ratelimit/adapters/echo"
)

// sink is the ResponseWriter of the benchmarks: it keeps only its header
// map, so that they count the server's allocations, not a recorder's.
type sink http.Header

func (s sink) Header() http.Header       { return http.Header(s) }
func (sink) Write(p []byte) (int, error) { return len(p), nil }
func (sink) WriteHeader(int)             {}

// BenchmarkMiddleware times one request through an echo server: without a
// limit ("Bare"), and behind the middleware over a memory-store limiter
// whose limit the benchmark never reaches ("Allowed") or has already
// reached ("Denied"). Allowed minus Bare is the middleware's cost.
func BenchmarkMiddleware(b *testing.B) {
	cases := map[string][]ratelimit.Rate{
		"Bare":    nil,
		"Allowed": {ratelimit.PerSecond(1 << 40)},
		"Denied":  {ratelimit.PerHour(1)},
	}
	for _, name := range []string{"Bare", "Allowed", "Denied"} {
		b.Run(name, func(b *testing.B) {
			e := echo.New()
			if rates := cases[name]; rates != nil {
				e.Use(echolimit.Middleware(newLimiter(b, rates...)))
			}
			e.GET("/r/:id", ok)
			req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/r/1", nil)
			req.RemoteAddr = "192.0.2.1:1234"
			w := sink{}
			e.ServeHTTP(w, req) // spends the one unit of "Denied"
			b.ReportAllocs()
			for b.Loop() {
				clear(w)
				e.ServeHTTP(w, req)
			}
		})
	}
}
