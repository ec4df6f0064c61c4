package ginlimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	ginlimit "github.com/gorate/ratelimit/adapters/gin"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func ExampleMiddleware() {
	gin.SetMode(gin.ReleaseMode)
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

	r := gin.New()
	r.Use(ginlimit.Middleware(l))
	hello := func(c *gin.Context) { c.String(http.StatusOK, "hello") }
	r.GET("/hello", hello)
	r.POST("/login", ginlimit.Middleware(strict, httplimit.WithName("login")), hello)

	for _, path := range []string{"/login", "/login", "/hello", "/hello"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if path == "/login" {
			req.Method = http.MethodPost
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Printf("%s %s: %d, remaining %s\n", req.Method, path, w.Code, w.Header().Get("X-Ratelimit-Remaining"))
	}
	// Output:
	// POST /login: 200, remaining 0
	// POST /login: 429, remaining 0
	// GET /hello: 200, remaining 0
	// GET /hello: 429, remaining 0
}

func ExampleContext() {
	gin.SetMode(gin.ReleaseMode)
	l, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.PerMinute(1)})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	// One limit per tenant, read from the route's parameter.
	byTenant := httplimit.WithKey(func(r httplimit.Request) (string, error) {
		return ginlimit.Context(r).Param("tenant"), nil
	})
	r := gin.New()
	r.GET("/t/:tenant/items", ginlimit.Middleware(l, byTenant), func(c *gin.Context) {
		c.String(http.StatusOK, "items")
	})
	for _, path := range []string{"/t/acme/items", "/t/acme/items", "/t/globex/items"} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Println(path, w.Code)
	}
	// Output:
	// /t/acme/items 200
	// /t/acme/items 429
	// /t/globex/items 200
}
