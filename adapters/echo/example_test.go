package echolimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	echolimit "github.com/gorate/ratelimit/adapters/echo"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func ExampleMiddleware() {
	// 3 requests per minute per client IP on every route, and 1 per minute
	// per client IP on /login on top of that.
	l, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.PerMinute(3)})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	strict, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.PerMinute(1)})
	if err != nil {
		panic(err)
	}
	defer strict.Close()

	e := echo.New()
	e.Use(echolimit.Middleware(l))
	hello := func(c echo.Context) error { return c.String(http.StatusOK, "hello") }
	e.GET("/hello", hello)
	e.POST("/login", hello, echolimit.Middleware(strict, httplimit.WithName("login")))

	for _, path := range []string{"/login", "/login", "/hello", "/hello"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if path == "/login" {
			req.Method = http.MethodPost
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		fmt.Printf("%s %s: %d, remaining %s\n", req.Method, path, w.Code, w.Header().Get("X-Ratelimit-Remaining"))
	}
	// Output:
	// POST /login: 200, remaining 0
	// POST /login: 429, remaining 0
	// GET /hello: 200, remaining 0
	// GET /hello: 429, remaining 0
}

func ExampleContext() {
	l, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.PerMinute(1)})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	// One limit per tenant, read from the route's parameter.
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
