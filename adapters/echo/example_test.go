package echolimit_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/gorate/ratelimit"
	echolimit "github.com/gorate/ratelimit/adapters/echo"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// Two requests a minute per client IP on every route.
func ExampleLimitByIP() {
	e := echo.New()
	e.Use(echolimit.LimitByIP(ratelimit.PerMinute(2)))
	e.GET("/hello", func(c echo.Context) error { return c.String(http.StatusOK, "hello") })

	for range 3 {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/hello", nil))
		fmt.Println(w.Code, w.Header().Get("RateLimit-Policy"), w.Header().Get("X-RateLimit-Remaining"))
	}
	// Output:
	// 200 "2/min";q=2;w=60 1
	// 200 "2/min";q=2;w=60 0
	// 429 "2/min";q=2;w=60 0
}

// 3 requests a minute per client IP on every route, and 1 a minute on
// POST /login on top of that, over one store.
func ExampleMiddleware() {
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	all, err := ratelimit.New(store, ratelimit.PerMinute(3), ratelimit.WithPrefix("all:"))
	if err != nil {
		log.Fatal(err)
	}
	login, err := ratelimit.New(store, ratelimit.PerMinute(1), ratelimit.WithPrefix("login:"))
	if err != nil {
		log.Fatal(err)
	}

	e := echo.New()
	e.Use(echolimit.Middleware(all))
	hello := func(c echo.Context) error { return c.String(http.StatusOK, "hello") }
	e.GET("/hello", hello)
	e.POST("/login", hello, echolimit.Middleware(login))

	for _, req := range []struct{ method, path string }{
		{"POST", "/login"}, {"POST", "/login"}, {"GET", "/hello"}, {"GET", "/hello"},
	} {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(req.method, req.path, nil))
		fmt.Printf("%s %s: %d, limit %s, remaining %s\n", req.method, req.path, w.Code,
			w.Header().Get("X-Ratelimit-Limit"), w.Header().Get("X-Ratelimit-Remaining"))
	}
	// Output:
	// POST /login: 200, limit 1, remaining 0
	// POST /login: 429, limit 1, remaining 0
	// GET /hello: 200, limit 3, remaining 0
	// GET /hello: 429, limit 3, remaining 0
}

// One limit per tenant, read from the route's parameter.
func ExampleContext() {
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	l, err := ratelimit.New(store, ratelimit.PerMinute(1))
	if err != nil {
		log.Fatal(err)
	}
	byTenant := httplimit.WithKey(func(r httplimit.Request) (string, error) {
		return echolimit.Context(r).Param("tenant"), nil
	})
	e := echo.New()
	e.GET("/t/:tenant/items", func(c echo.Context) error {
		return c.String(http.StatusOK, "items")
	}, echolimit.Middleware(l, byTenant))
	for _, path := range []string{"/t/acme/items", "/t/acme/items", "/t/globex/items"} {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Println(path, w.Code)
	}
	// Output:
	// /t/acme/items 200
	// /t/acme/items 429
	// /t/globex/items 200
}
