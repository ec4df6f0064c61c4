package fiberlimit_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	fiberlimit "github.com/gorate/ratelimit/adapters/fiber"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// get sends GET path with the given headers (name, value pairs) through
// serve, from 192.0.2.1:1234.
func get(t *testing.T, serve func(*http.Request) *http.Response, path string, headers ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	req.RemoteAddr = "192.0.2.1:1234"
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	return serve(req)
}

// TestRouteKey checks that httplimit.Route keys by fiber's route path, and
// that under app.Use, where no route has matched yet, it finds no key
// instead of keying every route by the Use prefix.
func TestRouteKey(t *testing.T) {
	t.Run("per route", func(t *testing.T) {
		l := newLimiter(t, ratelimit.PerMinute(10))
		app := newApp()
		mw := fiberlimit.Middleware(l, httplimit.WithKey(httplimit.Route()))
		app.Get("/r/:id", mw, ok)
		app.Group("/api").Get("/items/:id", mw, ok)
		serve := serve(t, app)
		for _, path := range []string{"/r/1", "/r/2", "/r/3", "/api/items/1", "/api/items/2"} {
			if res := get(t, serve, path); res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d", path, res.StatusCode)
			}
		}
		for key, want := range map[string]int64{"/r/:id": 3, "/api/items/:id": 2, "/r/1": 0} {
			if n := count(t, l, key); n != want {
				t.Errorf("count under %q = %d, want %d", key, n, want)
			}
		}
	})
	t.Run("app.Use", func(t *testing.T) {
		l := newLimiter(t, ratelimit.PerMinute(10))
		var errs []error
		app := newApp()
		app.Use(fiberlimit.Middleware(l, httplimit.WithKey(httplimit.Route()),
			httplimit.WithErrorHook(func(_ httplimit.Request, err error) { errs = append(errs, err) })))
		app.Get("/r/:id", ok)
		res := get(t, serve(t, app), "/r/1")
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", res.StatusCode)
		}
		if len(errs) != 1 || !errors.Is(errs[0], httplimit.ErrEmptyKey) {
			t.Errorf("error hook saw %v, want one error wrapping ErrEmptyKey", errs)
		}
	})
}

// TestKeysOutliveRequest keys by a header and sends many requests through
// one reused fasthttp.RequestCtx, as fasthttp's server does: a key that
// aliased the header buffer would change under the store after its
// request, and the counts per key would go wrong.
func TestKeysOutliveRequest(t *testing.T) {
	const keys, rounds = 10, 20
	for _, c := range []struct {
		name      string
		immutable bool
		key       httplimit.KeyFunc
		set       func(req *fasthttp.Request, v string)
		keyOf     func(v string) string
	}{
		{
			name:  "header",
			key:   httplimit.Header("X-Key"),
			set:   func(req *fasthttp.Request, v string) { req.Header.Set("X-Key", v) },
			keyOf: func(v string) string { return v },
		},
		{
			name:      "header immutable",
			immutable: true,
			key:       httplimit.Header("X-Key"),
			set:       func(req *fasthttp.Request, v string) { req.Header.Set("X-Key", v) },
			keyOf:     func(v string) string { return v },
		},
		{
			name: "forwarded",
			key:  httplimit.ClientIP(httplimit.TrustProxies("X-Forwarded-For", netip.MustParsePrefix("192.0.2.0/24"))),
			set: func(req *fasthttp.Request, v string) {
				req.Header.Set("X-Forwarded-For", "198.51.100.10"+v[3:])
			},
			keyOf: func(v string) string { return "198.51.100.10" + v[3:] },
		},
		{
			name:  "query",
			key:   httplimit.Query("k"),
			set:   func(req *fasthttp.Request, v string) { req.SetRequestURI("/?k=" + v) },
			keyOf: func(v string) string { return v },
		},
		{
			name:  "path",
			key:   func(r httplimit.Request) (string, error) { return r.Path(), nil },
			set:   func(req *fasthttp.Request, v string) { req.SetRequestURI("/p/" + v) },
			keyOf: func(v string) string { return "/p/" + v },
		},
		{
			name:  "joined with method",
			key:   httplimit.Join(httplimit.Method(), httplimit.Header("X-Key")),
			set:   func(req *fasthttp.Request, v string) { req.Header.Set("X-Key", v) },
			keyOf: func(v string) string { return "GET|" + v },
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newLimiter(t, ratelimit.PerMinute(1000))
			app := fiber.New(fiber.Config{Immutable: c.immutable})
			app.Use(fiberlimit.Middleware(l, httplimit.WithKey(c.key)))
			app.Get("/*", ok)
			h := app.Handler()
			var req fasthttp.Request
			req.Header.SetMethod(fiber.MethodGet)
			req.SetRequestURI("/")
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, rawAddr("192.0.2.7:1234"), nil)
			for i := range keys * rounds {
				v := fmt.Sprintf("k%03d", i%keys) // one length: each value overwrites the last in place
				c.set(&ctx.Request, v)
				ctx.Response.Reset()
				h(&ctx)
				if ctx.Response.StatusCode() != http.StatusOK {
					t.Fatalf("request %d: status %d: %s", i, ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
			for i := range keys {
				key := c.keyOf(fmt.Sprintf("k%03d", i))
				if n := count(t, l, key); n != rounds {
					t.Errorf("count under %q = %d, want %d", key, n, rounds)
				}
			}
		})
	}
}

// TestRequestCopies checks every string a Request returns against the
// request's next use of the same buffers.
func TestRequestCopies(t *testing.T) {
	var got seen
	app := fiber.New(fiber.Config{RequestMethods: append(fiber.DefaultMethods[:len(fiber.DefaultMethods):len(fiber.DefaultMethods)], "PURGE", "PUUGE")})
	app.Add("PURGE", "/r/:id", func(c *fiber.Ctx) error {
		r := fiberlimit.Request{C: c}
		got = seen{r.Method(), r.Path(), r.Route(), r.Header("X-A"), r.Query("q"), r.RemoteAddr(), r.HeaderValues("X-B")}
		return nil
	})
	h := app.Handler()
	var ctx fasthttp.RequestCtx
	send := func(method, uri, a string, b ...string) {
		t.Helper()
		ctx.Request.Reset()
		ctx.Request.Header.SetMethod(method)
		ctx.Request.SetRequestURI(uri)
		ctx.Request.Header.Set("X-A", a)
		for _, v := range b {
			ctx.Request.Header.Add("X-B", v)
		}
		h(&ctx)
	}
	ctx.Init(&fasthttp.Request{}, rawAddr("192.0.2.1:1234"), nil)
	send("PURGE", "/r/aaa?q=111", "one", "b1", "b2", "b3")
	first := got
	want := seen{"PURGE", "/r/aaa", "/r/:id", "one", "111", "192.0.2.1:1234", []string{"b1", "b2", "b3"}}
	if !equal(first, want) {
		t.Fatalf("Request saw %+v, want %+v", first, want)
	}
	send("PUUGE", "/r/bbb?q=222", "two", "c1", "c2", "c3") // same lengths, so the same bytes are overwritten
	send("PURGE", "/r/ccc?q=333", "thr", "d1", "d2", "d3")
	if !equal(first, want) {
		t.Errorf("after later requests, the first one's strings read %+v, want %+v", first, want)
	}
}

// seen is what TestRequestCopies reads of a Request.
type seen struct {
	method, path, route, header, query, remote string
	values                                     []string
}

func equal(a, b seen) bool {
	return a.method == b.method && a.path == b.path && a.route == b.route && a.header == b.header &&
		a.query == b.query && a.remote == b.remote && slices.Equal(a.values, b.values)
}

// TestDenied checks the response to a denial — status, headers, body — and
// that the chain stops there: neither a later middleware nor the handler
// runs.
func TestDenied(t *testing.T) {
	l := newLimiter(t, ratelimit.PerSecond(1))
	var mu sync.Mutex
	calls := map[string]int{}
	called := func(name string) {
		mu.Lock()
		defer mu.Unlock()
		calls[name]++
	}
	app := newApp()
	app.Use(fiberlimit.Middleware(l))
	app.Use(func(c *fiber.Ctx) error { called("after"); return c.Next() })
	app.Get("/", func(c *fiber.Ctx) error { called("handler"); return c.SendString("ok") })
	serve := serve(t, app)

	if res := get(t, serve, "/"); res.StatusCode != http.StatusOK || body(t, res) != "ok" {
		t.Fatalf("first request: status %d", res.StatusCode)
	}
	res := get(t, serve, "/")
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("status %d, want 429", res.StatusCode)
	}
	for name, want := range map[string]string{
		// The suite checks every header; these show the adapter writes both
		// the Outcome's headers and the Reply's.
		"Retry-After":            "2",
		"Ratelimit":              `"1/s";r=0;t=2`,
		"Content-Type":           "text/plain; charset=utf-8",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := res.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if b := body(t, res); b != "rate limit exceeded\n" {
		t.Errorf("body %q", b)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["after"] != 1 || calls["handler"] != 1 {
		t.Errorf("calls %v, want one each: the denied request must stop the chain", calls)
	}
}

// TestContext checks that a key function reaches the *fiber.Ctx behind a
// Request, and that other Requests have none.
func TestContext(t *testing.T) {
	l := newLimiter(t, ratelimit.PerMinute(1))
	app := newApp()
	app.Get("/r/:id", fiberlimit.Middleware(l, httplimit.WithKey(func(r httplimit.Request) (string, error) {
		c := fiberlimit.Context(r)
		if c == nil {
			return "", errors.New("no fiber ctx")
		}
		return "id=" + c.Params("id"), nil // concatenation copies
	})), ok)
	serve := serve(t, app)
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/r/a", http.StatusOK},
		{"/r/b", http.StatusOK},
		{"/r/a", http.StatusTooManyRequests},
	} {
		if res := get(t, serve, c.path); res.StatusCode != c.status {
			t.Errorf("GET %s: status %d, want %d", c.path, res.StatusCode, c.status)
		}
	}
	if n := count(t, l, "id=b"); n != 1 {
		t.Errorf("count under id=b = %d, want 1", n)
	}
	if c := fiberlimit.Context(httplimit.NetHTTPRequest{R: httptest.NewRequest("GET", "/", nil)}); c != nil {
		t.Errorf("Context of a net/http request = %v, want nil", c)
	}
}

// TestRequestNoAlloc checks that a Request converts to the interface
// without an allocation.
func TestRequestNoAlloc(t *testing.T) {
	app := newApp()
	c := app.AcquireCtx(&fasthttp.RequestCtx{})
	t.Cleanup(func() { app.ReleaseCtx(c) })
	var sink httplimit.Request
	if n := testing.AllocsPerRun(100, func() { sink = fiberlimit.Request{C: c} }); n != 0 {
		t.Errorf("converting a Request to httplimit.Request: %v allocations, want 0", n)
	}
	_ = sink
}

// TestRemoteAddr checks the peer address of each kind of net.Addr.
func TestRemoteAddr(t *testing.T) {
	for _, c := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1234}, "192.0.2.1:1234"},
		{&net.TCPAddr{IP: net.IP{192, 0, 2, 1}, Port: 1234}, "192.0.2.1:1234"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 80}, "[2001:db8::1]:80"},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 80, Zone: "eth0"}, "[fe80::1%eth0]:80"},
		{&net.TCPAddr{Port: 80}, ":80"},
		{&net.UnixAddr{Name: "/run/app.sock", Net: "unix"}, "/run/app.sock"},
	} {
		t.Run(c.want, func(t *testing.T) {
			app := newApp()
			var got string
			app.Get("/", func(ctx *fiber.Ctx) error {
				got = fiberlimit.Request{C: ctx}.RemoteAddr()
				return nil
			})
			var ctx fasthttp.RequestCtx
			ctx.Init(&fasthttp.Request{}, c.addr, nil)
			app.Handler()(&ctx)
			if got != c.want {
				t.Errorf("RemoteAddr() = %q, want %q", got, c.want)
			}
		})
	}
}
