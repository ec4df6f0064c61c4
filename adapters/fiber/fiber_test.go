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

	"github.com/gorate/ratelimit"
	fiberlimit "github.com/gorate/ratelimit/adapters/fiber"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// TestRouteKey checks that httplimit.Route keys by fiber's route path, and
// that under app.Use or group.Use, where no route has matched yet, it finds
// no key instead of keying every route by the Use prefix. It fails should
// fiber change how app.GetRoutes filters Use routes or copies routes.
func TestRouteKey(t *testing.T) {
	t.Run("per route", func(t *testing.T) {
		l := newLimiter(t, ratelimit.PerMinute(10))
		app := newApp()
		mw := fiberlimit.Middleware(l, httplimit.WithKey(httplimit.Route()))
		app.Use(func(c *fiber.Ctx) error { return c.Next() })
		app.Get("/r/:id", mw, ok)
		app.Group("/api").Get("/items/:id", mw, ok)
		sub := newApp()
		sub.Get("/x/:id", mw, ok)
		app.Mount("/sub", sub)
		h := handlerOf(t, app)
		for _, path := range []string{"/r/1", "/r/2", "/r/3", "/api/items/1", "/api/items/2", "/sub/x/1"} {
			if w := get(t, h, path); w.Code != http.StatusOK {
				t.Fatalf("GET %s: status %d: %s", path, w.Code, w.Body)
			}
		}
		for key, want := range map[string]int64{"/r/:id": 3, "/api/items/:id": 2, "/sub/x/:id": 1, "/r/1": 0} {
			if n := used(t, l, key); n != want {
				t.Errorf("units under %q = %d, want %d", key, n, want)
			}
		}
		// A route added after the first request is known too.
		app.Get("/late/:id", mw, ok)
		if w := get(t, handlerOf(t, app), "/late/1"); w.Code != http.StatusOK || used(t, l, "/late/:id") != 1 {
			t.Errorf("GET /late/1: status %d, %d units under /late/:id; want 200 and 1", w.Code, used(t, l, "/late/:id"))
		}
	})
	for _, c := range []struct {
		name  string
		mount func(app *fiber.App, mw fiber.Handler)
	}{
		{"app.Use", func(app *fiber.App, mw fiber.Handler) { app.Use(mw) }},
		{"app.Use with a prefix", func(app *fiber.App, mw fiber.Handler) { app.Use("/r", mw) }},
		{"group.Use", func(app *fiber.App, mw fiber.Handler) { app.Group("/r").Use(mw) }},
		{"app.Use with the route's path", func(app *fiber.App, mw fiber.Handler) { app.Use("/r/:id", mw) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newLimiter(t, ratelimit.PerMinute(10))
			var errs []error
			app := newApp()
			c.mount(app, fiberlimit.Middleware(l, httplimit.WithKey(httplimit.Route()),
				httplimit.WithErrorHook(func(_ httplimit.Request, err error) { errs = append(errs, err) })))
			app.Get("/r/:id", ok)
			if w := get(t, handlerOf(t, app), "/r/1"); w.Code != http.StatusBadRequest {
				t.Errorf("status %d, want 400", w.Code)
			}
			if len(errs) != 1 || !errors.Is(errs[0], ratelimit.ErrInvalidArgument) {
				t.Errorf("error hook saw %v, want one error wrapping ErrInvalidArgument", errs)
			}
		})
	}
}

// TestKeysOutliveRequest keys by a header and sends many requests through
// one reused fasthttp.RequestCtx, as fasthttp's server does: a key that
// aliased the header buffer would change under the store after its
// request, and the counts per key would go wrong.
func TestKeysOutliveRequest(t *testing.T) {
	const keys, rounds = 10, 20
	join := func(ks ...httplimit.KeyFunc) []httplimit.KeyFunc { return ks } // WithKey joins them
	xff, err := httplimit.TrustProxies("X-Forwarded-For", "192.0.2.0/24")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		immutable bool
		key       []httplimit.KeyFunc
		set       func(req *fasthttp.Request, v string)
		keyOf     func(v string) string
	}{
		{
			name:  "header",
			key:   join(httplimit.Header("X-Key")),
			set:   func(req *fasthttp.Request, v string) { req.Header.Set("X-Key", v) },
			keyOf: func(v string) string { return v },
		},
		{
			name:      "header immutable",
			immutable: true,
			key:       join(httplimit.Header("X-Key")),
			set:       func(req *fasthttp.Request, v string) { req.Header.Set("X-Key", v) },
			keyOf:     func(v string) string { return v },
		},
		{
			name: "forwarded",
			key:  join(httplimit.ClientIP(xff)),
			set: func(req *fasthttp.Request, v string) {
				req.Header.Set("X-Forwarded-For", "198.51.100.10"+v[3:])
			},
			keyOf: func(v string) string { return "198.51.100.10" + v[3:] },
		},
		{
			name:  "query",
			key:   join(httplimit.Query("k")),
			set:   func(req *fasthttp.Request, v string) { req.SetRequestURI("/?k=" + v) },
			keyOf: func(v string) string { return v },
		},
		{
			name:  "path",
			key:   join(func(r httplimit.Request) (string, error) { return r.Path(), nil }),
			set:   func(req *fasthttp.Request, v string) { req.SetRequestURI("/p/" + v) },
			keyOf: func(v string) string { return "/p/" + v },
		},
		{
			name:  "joined with method",
			key:   join(httplimit.Method(), httplimit.Header("X-Key")),
			set:   func(req *fasthttp.Request, v string) { req.Header.Set("X-Key", v) },
			keyOf: func(v string) string { return "GET|" + v },
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newLimiter(t, ratelimit.PerMinute(1000))
			app := fiber.New(fiber.Config{Immutable: c.immutable})
			app.Use(fiberlimit.Middleware(l, httplimit.WithKey(c.key...)))
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
				if n := used(t, l, key); n != rounds {
					t.Errorf("units under %q = %d, want %d", key, n, rounds)
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
	app.Add("PURGE", "/r/:id", see(t, func(r httplimit.Request) {
		got = seen{r.Method(), r.Path(), r.Route(), r.Header("X-A"), r.Query("q"), r.RemoteAddr(), r.HeaderValues("X-B")}
	}))
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

// see returns the middleware with a key function that hands each Request
// to f.
func see(t *testing.T, f func(httplimit.Request)) fiber.Handler {
	return fiberlimit.Middleware(newLimiter(t, ratelimit.PerSecond(1<<40)), httplimit.WithKey(func(r httplimit.Request) (string, error) {
		f(r)
		return "k", nil
	}))
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
	h := handlerOf(t, app)

	if w := get(t, h, "/"); w.Code != http.StatusOK || w.Body.String() != "ok" {
		t.Fatalf("first request: status %d", w.Code)
	}
	res := get(t, h, "/")
	if res.Code != http.StatusTooManyRequests {
		t.Errorf("status %d, want 429", res.Code)
	}
	for name, want := range map[string]string{
		// The suite checks every header; these show the adapter writes both
		// the Outcome's headers and the Reply's.
		"Retry-After":            "2",
		"Ratelimit":              `"1/s";r=0;t=2`,
		"Content-Type":           "text/plain; charset=utf-8",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := res.Header().Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if b := res.Body.String(); b != "rate limit exceeded\n" {
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
	h := handlerOf(t, app)
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/r/a", http.StatusOK},
		{"/r/b", http.StatusOK},
		{"/r/a", http.StatusTooManyRequests},
	} {
		if w := get(t, h, c.path); w.Code != c.status {
			t.Errorf("GET %s: status %d, want %d", c.path, w.Code, c.status)
		}
	}
	if n := used(t, l, "id=b"); n != 1 {
		t.Errorf("units under id=b = %d, want 1", n)
	}
	var other *fiber.Ctx
	nethttp := httplimit.Middleware(l, httplimit.WithKey(func(r httplimit.Request) (string, error) {
		other = fiberlimit.Context(r)
		return "k", nil
	}))(http.NotFoundHandler())
	nethttp.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if other != nil {
		t.Errorf("Context of a net/http request = %v, want nil", other)
	}
}

// TestAllocs checks that the middleware adds one allocation per request,
// the peer's address (the key, which the store may keep): the headers are
// rendered into a pooled buffer that fasthttp copies.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are random under the race detector (sync.Pool drops items)")
	}
	allocs := func(mw ...fiber.Handler) float64 {
		app := newApp()
		app.Get("/r/:id", append(mw, ok)...)
		h := app.Handler()
		var ctx fasthttp.RequestCtx
		ctx.Init(&fasthttp.Request{}, rawAddr("192.0.2.1:1234"), nil)
		ctx.Request.SetRequestURI("/r/1")
		h(&ctx)
		return testing.AllocsPerRun(1000, func() { ctx.Response.Reset(); h(&ctx) })
	}
	bare, limited := allocs(), allocs(fiberlimit.Middleware(newLimiter(t, ratelimit.PerSecond(1<<40))))
	if limited-bare > 1 {
		t.Errorf("%v allocations per request with the middleware, %v without: want at most 1 more", limited, bare)
	}
}

// TestRemoteAddr checks the peer address of each kind of net.Addr, and
// that RemoteAddrPort is the same address parsed (zero when it is not an
// IP address).
func TestRemoteAddr(t *testing.T) {
	for _, c := range []struct {
		addr net.Addr
		want string
		ip   bool
	}{
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1234}, "192.0.2.1:1234", true},
		{&net.TCPAddr{IP: net.IP{192, 0, 2, 1}, Port: 1234}, "192.0.2.1:1234", true},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 80}, "[2001:db8::1]:80", true},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 80, Zone: "eth0"}, "[fe80::1%eth0]:80", true},
		{&net.TCPAddr{Port: 80}, ":80", false},
		{&net.UnixAddr{Name: "/run/app.sock", Net: "unix"}, "/run/app.sock", false},
	} {
		t.Run(c.want, func(t *testing.T) {
			app := newApp()
			var got string
			var ap netip.AddrPort
			app.Get("/", see(t, func(r httplimit.Request) {
				got = r.RemoteAddr()
				ap = r.(interface{ RemoteAddrPort() netip.AddrPort }).RemoteAddrPort()
			}), ok)
			var ctx fasthttp.RequestCtx
			ctx.Init(&fasthttp.Request{}, c.addr, nil)
			app.Handler()(&ctx)
			if got != c.want {
				t.Errorf("RemoteAddr() = %q, want %q", got, c.want)
			}
			var want netip.AddrPort // zero when the peer has no IP address
			if c.ip {
				want = netip.MustParseAddrPort(c.want)
			}
			if ap != want {
				t.Errorf("RemoteAddrPort() = %v, want %v", ap, want)
			}
		})
	}
}
