package ginlimit_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/gorate/ratelimit"
	ginlimit "github.com/gorate/ratelimit/adapters/gin"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	"github.com/gorate/ratelimit/adapters/nethttp/httplimittest"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // no debug route printing
	os.Exit(m.Run())
}

func ok(c *gin.Context) { c.String(http.StatusOK, "ok") }

func TestSuite(t *testing.T) {
	httplimittest.Run(t, func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) http.Handler {
		r := gin.New()
		r.Use(ginlimit.Middleware(l, opts...))
		r.GET("/", ok)
		r.GET("/r/:id", ok)
		r.GET("/reply", reply)
		return r
	})
}

// reply is GET /reply: the answer httplimittest.ParseAnswer reads from the
// query.
func reply(c *gin.Context) {
	a := httplimittest.ParseAnswer(c.Query)
	if a.Panic {
		panic("the handler panics")
	}
	if a.Units != "" {
		c.Header("X-Units", a.Units)
	}
	if a.Status != 0 {
		c.Status(a.Status)
	}
	if !a.Stream {
		if a.Body != nil {
			c.Writer.Write(a.Body)
		}
		return
	}
	half := len(a.Body) / 2
	for _, b := range [][]byte{a.Body[:half], a.Body[half:]} {
		c.Writer.Write(b)
		c.Writer.Flush()
	}
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

// TestRequest checks what a key function sees of a gin request: the route
// is gin's FullPath pattern, and Context and HTTPRequest reach the
// framework's values.
func TestRequest(t *testing.T) {
	l := newLimiter(t, ratelimit.PerSecond(10))
	type seen struct {
		route, path, method, query, header, remote, param string
		httpReq                                           bool
	}
	got := make(chan seen, 1)
	key := func(r httplimit.Request) (string, error) {
		c := ginlimit.Context(r)
		got <- seen{
			route: r.Route(), path: r.Path(), method: r.Method(),
			query: r.Query("q"), header: r.Header("X-User"), remote: r.RemoteAddr(),
			param:   c.Param("id"),
			httpReq: r.HTTPRequest() == c.Request && r.Context() == c.Request.Context(),
		}
		return "k", nil
	}
	e := gin.New()
	e.GET("/r/:id", ginlimit.Middleware(l, httplimit.WithKey(key)), ok)

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
	var c *gin.Context
	key := func(r httplimit.Request) (string, error) {
		c = ginlimit.Context(r)
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
		r := gin.New()
		r.Use(ginlimit.LimitByIP(rates...))
		r.GET("/", ok)
		return r
	})
}

// TestAllocs checks that the middleware adds no allocation of its own to
// the one of the httplimit middleware.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are random under the race detector (sync.Pool drops items)")
	}
	allocs := func(mw ...gin.HandlerFunc) float64 {
		r := gin.New()
		r.Use(mw...)
		r.GET("/r/:id", ok)
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/r/1", nil)
		req.RemoteAddr = "192.0.2.1:1234"
		w := &discard{h: make(http.Header)}
		r.ServeHTTP(w, req)
		return testing.AllocsPerRun(1000, func() {
			clear(w.h)
			r.ServeHTTP(w, req)
		})
	}
	bare, limited := allocs(), allocs(ginlimit.Middleware(newLimiter(t, ratelimit.PerSecond(1<<40))))
	if limited-bare > 1 {
		t.Errorf("%v allocations per request with the middleware, %v without: want at most 1 more", limited, bare)
	}
}

// TestDenyAborts runs the middleware on a gin.Context of its own: a denied
// request is aborted, so that no later handler runs, and its 429 carries the
// rate-limit headers and Retry-After.
func TestDenyAborts(t *testing.T) {
	mw := ginlimit.Middleware(newLimiter(t, ratelimit.PerSecond(1)))
	for i, want := range []struct {
		aborted bool
		status  int
		headers map[string]string
		body    string
	}{
		{false, http.StatusOK, map[string]string{"X-Ratelimit-Remaining": "0", "Retry-After": ""}, ""},
		{true, http.StatusTooManyRequests, map[string]string{
			"Retry-After":           "2",
			"Ratelimit-Policy":      `"1/s";q=1;w=1`,
			"Ratelimit":             `"1/s";r=0;t=2`,
			"X-Ratelimit-Limit":     "1",
			"X-Ratelimit-Remaining": "0",
			"X-Ratelimit-Reset":     "2",
			"Content-Type":          "text/plain; charset=utf-8",
		}, "rate limit exceeded\n"},
	} {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		c.Request.RemoteAddr = "192.0.2.1:1234"
		mw(c)
		c.Writer.WriteHeaderNow()
		if c.IsAborted() != want.aborted || w.Code != want.status || w.Body.String() != want.body {
			t.Errorf("request %d: aborted %v, status %d, body %q; want %v, %d, %q",
				i, c.IsAborted(), w.Code, w.Body.String(), want.aborted, want.status, want.body)
		}
		for name, v := range want.headers {
			if got := w.Header().Get(name); got != v {
				t.Errorf("request %d: %s = %q, want %q", i, name, got, v)
			}
		}
	}
}
