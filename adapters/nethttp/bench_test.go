package httplimit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// BenchmarkMiddleware times one request through the middleware over a
// memory-store limiter whose limit it never reaches: with and without
// headers, with an allow list (benchList's) that does not hold it, and
// counted or costed by the response, against the bare handler.
func BenchmarkMiddleware(b *testing.B) {
	l := newLimiter(b, nil, ratelimit.PerSecond(1<<40))
	allow, _ := benchList(b)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", discard},
		{"limited", httplimit.Middleware(l)(discard)},
		{"limited-no-headers", httplimit.Middleware(l, httplimit.WithHeaders(0))(discard)},
		{"limited-lists", httplimit.Middleware(l, httplimit.WithLists(allow, nil))(discard)},
		// Settled by the response: counted as taken (nothing to settle),
		// refunded (a success under Failed), charged (1 byte beyond the
		// unit taken up front).
		{"count-succeeded", httplimit.Middleware(l, httplimit.WithCountIf(httplimit.Succeeded))(discard)},
		{"count-failed-refund", httplimit.Middleware(l, httplimit.WithCountIf(httplimit.Failed))(discard)},
		{"response-cost-charge", httplimit.Middleware(l, httplimit.WithResponseCost(written))(discard)},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				c.h.ServeHTTP(w, r)
			}
		})
	}
}

// written is a response cost: the bytes written.
func written(_ httplimit.Request, resp httplimit.Response) (int64, error) { return resp.Written(), nil }
