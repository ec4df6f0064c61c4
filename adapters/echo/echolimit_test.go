package echolimit_test

import (
	"cmp"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/gorate/ratelimit"
	echolimit "github.com/gorate/ratelimit/adapters/echo"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	"github.com/gorate/ratelimit/adapters/nethttp/httplimittest"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func ok(c echo.Context) error { return c.String(http.StatusOK, "ok") }

func TestSuite(t *testing.T) {
	httplimittest.Run(t, func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) http.Handler {
		e := echo.New()
		e.Use(echolimit.Middleware(l, opts...))
		e.GET("/", ok)
		e.GET("/r/:id", ok)
		e.GET("/reply", reply)
		return e
	})
}

// reply is GET /reply: the answer httplimittest.ParseAnswer reads from the
// query, an error as an echo.HTTPError.
func reply(c echo.Context) error {
	a := httplimittest.ParseAnswer(c.QueryParam)
	if a.Panic {
		panic("the handler panics")
	}
	if a.Error {
		return echo.NewHTTPError(a.Status)
	}
	res := c.Response()
	if a.Units != "" {
		res.Header().Set("X-Units", a.Units)
	}
	status := cmp.Or(a.Status, http.StatusOK)
	switch {
	case a.Stream:
		res.WriteHeader(status)
		half := len(a.Body) / 2
		for _, b := range [][]byte{a.Body[:half], a.Body[half:]} {
			res.Write(b)
			res.Flush()
		}
		return nil
	case a.Body != nil:
		return c.Blob(status, "application/octet-stream", a.Body)
	case a.Status != 0:
		return c.NoContent(status)
	}
	return nil
}

// newLimiter returns a limiter enforcing rates over a memory store whose
// clock stands still.
func newLimiter(t testing.TB, rates ...ratelimit.Rate) *ratelimit.Limiter {
	t.Helper()
	s, err := memorystore.New(memorystore.WithClock(core.NewFakeClock(1_000_000)))
	if err != nil {
		t.Fatal(err)
	}
	l, err := ratelimit.New(s, ratelimit.Rates(rates))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestRequest checks what a key function sees of an echo request: the
// route is echo's Path pattern, and Context and HTTPRequest reach the
// framework's values.
func TestRequest(t *testing.T) {
	l := newLimiter(t, ratelimit.PerSecond(10))
	type seen struct {
		route, path, method, query, header, remote, param string
		httpReq                                           bool
	}
	got := make(chan seen, 1)
	key := func(r httplimit.Request) (string, error) {
		c := echolimit.Context(r)
		got <- seen{
			route: r.Route(), path: r.Path(), method: r.Method(),
			query: r.Query("q"), header: r.Header("X-User"), remote: r.RemoteAddr(),
			param:   c.Param("id"),
			httpReq: r.HTTPRequest() == c.Request() && r.Context() == c.Request().Context(),
		}
		return "k", nil
	}
	e := echo.New()
	e.GET("/r/:id", ok, echolimit.Middleware(l, httplimit.WithKey(key)))

	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/r/42?q=v&q=w", nil)
	req.RemoteAddr = "192.0.2.7:999"
	req.Header.Set("X-User", "ann")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	want := seen{"/r/:id", "/r/42", "GET", "v", "ann", "192.0.2.7:999", "42", true}
	if s := <-got; s != want {
		t.Errorf("key function saw %+v, want %+v", s, want)
	}
}

func TestContextOfOtherRequest(t *testing.T) {
	c := echo.Context(nil)
	key := func(r httplimit.Request) (string, error) {
		c = echolimit.Context(r)
		return "k", nil
	}
	h := httplimit.Middleware(newLimiter(t, ratelimit.PerSecond(1)), httplimit.WithKey(key))(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	if c != nil {
		t.Errorf("Context of a net/http request = %v, want nil", c)
	}
}

func TestLimitByIP(t *testing.T) {
	httplimittest.RunLimitByIP(t, func(rates ...ratelimit.Rate) http.Handler {
		e := echo.New()
		e.Use(echolimit.LimitByIP(rates...))
		e.GET("/", ok)
		return e
	})
}

// TestAllocs checks that the middleware adds no allocation of its own to
// the one of the httplimit middleware and the one echo adds for any
// middleware.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are random under the race detector (sync.Pool drops items)")
	}
	allocs := func(mw ...echo.MiddlewareFunc) float64 {
		e := echo.New()
		e.Use(mw...)
		e.GET("/r/:id", ok)
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/r/1", nil)
		req.RemoteAddr = "192.0.2.1:1234"
		w := sink{}
		e.ServeHTTP(w, req)
		return testing.AllocsPerRun(1000, func() {
			clear(w)
			e.ServeHTTP(w, req)
		})
	}
	bare, limited := allocs(), allocs(echolimit.Middleware(newLimiter(t, ratelimit.PerSecond(1<<40))))
	if limited-bare > 2 {
		t.Errorf("%v allocations per request with the middleware, %v without: want at most 2 more", limited, bare)
	}
}

// TestDenyStops calls the middleware on an echo.Context of its own: a
// denied request gets a 429 with the rate-limit headers and Retry-After,
// the next handler is not called, and the middleware returns nil, so that
// echo's error handler does not write a response of its own.
func TestDenyStops(t *testing.T) {
	e := echo.New()
	var calls int
	h := echolimit.Middleware(newLimiter(t, ratelimit.PerSecond(1)))(func(c echo.Context) error {
		calls++
		return ok(c)
	})
	for i, want := range []struct {
		calls   int
		status  int
		headers map[string]string
		body    string
	}{
		{1, http.StatusOK, map[string]string{"X-Ratelimit-Remaining": "0", "Retry-After": ""}, "ok"},
		{1, http.StatusTooManyRequests, map[string]string{
			"Retry-After":           "2",
			"Ratelimit-Policy":      `"1/s";q=1;w=1`,
			"Ratelimit":             `"1/s";r=0;t=2`,
			"X-Ratelimit-Limit":     "1",
			"X-Ratelimit-Remaining": "0",
			"X-Ratelimit-Reset":     "2",
			"Content-Type":          "text/plain; charset=utf-8",
		}, "rate limit exceeded\n"},
	} {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		req.RemoteAddr = "192.0.2.1:1234"
		w := httptest.NewRecorder()
		if err := h(e.NewContext(req, w)); err != nil {
			t.Errorf("request %d: middleware returned %v, want nil", i, err)
		}
		if calls != want.calls || w.Code != want.status || w.Body.String() != want.body {
			t.Errorf("request %d: next called %d times in all, status %d, body %q; want %d, %d, %q",
				i, calls, w.Code, w.Body.String(), want.calls, want.status, want.body)
		}
		for name, v := range want.headers {
			if got := w.Header().Get(name); got != v {
				t.Errorf("request %d: %s = %q, want %q", i, name, got, v)
			}
		}
	}
}
