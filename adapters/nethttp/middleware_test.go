package httplimit_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func newLimiter(t testing.TB, rates ...ratelimit.Rate) *ratelimit.Limiter {
	t.Helper()
	l, err := memorystore.NewLimiter(rates)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func status(t *testing.T, h http.Handler, path string) int {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	h.ServeHTTP(w, r)
	return w.Code
}

// TestPerRoute gives two routes their own limits over one limiter (WithName)
// and a third its own limiter, with the decorators.
func TestPerRoute(t *testing.T) {
	l := newLimiter(t, ratelimit.PerMinute(2))
	strict := newLimiter(t, ratelimit.PerMinute(1))
	var ran int
	ok := func(w http.ResponseWriter, _ *http.Request) { ran++ }
	mux := http.NewServeMux()
	mux.Handle("GET /a", httplimit.Handler(l, http.HandlerFunc(ok), httplimit.WithName("a")))
	mux.HandleFunc("GET /b", httplimit.HandlerFunc(l, ok, httplimit.WithName("b")))
	mux.Handle("GET /login", httplimit.Middleware(strict)(http.HandlerFunc(ok)))
	for _, c := range []struct {
		path string
		want int
	}{
		{"/a", 200}, {"/a", 200}, {"/a", 429},
		{"/b", 200}, {"/b", 200}, {"/b", 429},
		{"/login", 200}, {"/login", 429},
	} {
		if got := status(t, mux, c.path); got != c.want {
			t.Errorf("GET %s: %d, want %d", c.path, got, c.want)
		}
	}
	if ran != 5 {
		t.Errorf("the handler ran %d times, want 5 (never on a denial)", ran)
	}
}

func TestNilLimiterPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Middleware(nil) did not panic")
		}
	}()
	httplimit.Middleware(nil)
}

// TestAllocs checks the goal of two allocations per request beyond the
// handler's: the header values and their backing array.
func TestAllocs(t *testing.T) {
	l := newLimiter(t, ratelimit.PerSecond(1<<40))
	h := httplimit.Middleware(l)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, r) // create the key
	if n := testing.AllocsPerRun(1000, func() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}); n > 2 {
		t.Errorf("%v allocations per request, want at most 2", n)
	}
}

// discardWriter is a ResponseWriter that keeps only its header map.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

func BenchmarkMiddleware(b *testing.B) {
	l := newLimiter(b, ratelimit.PerSecond(1<<40))
	bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", bare},
		{"limited", httplimit.Middleware(l)(bare)},
		{"limited-no-headers", httplimit.Middleware(l, httplimit.WithHeaders(httplimit.HeadersNone))(bare)},
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
