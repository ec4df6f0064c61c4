package ginlimit_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/gorate/ratelimit"
	ginlimit "github.com/gorate/ratelimit/adapters/gin"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// Two requests a minute per client IP on every route.
func ExampleLimitByIP() {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(ginlimit.LimitByIP(ratelimit.PerMinute(2)))
	r.GET("/hello", func(c *gin.Context) { c.String(http.StatusOK, "hello") })

	for range 3 {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/hello", nil))
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
	gin.SetMode(gin.ReleaseMode)
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

	r := gin.New()
	r.Use(ginlimit.Middleware(all))
	hello := func(c *gin.Context) { c.String(http.StatusOK, "hello") }
	r.GET("/hello", hello)
	r.POST("/login", ginlimit.Middleware(login), hello)

	for _, req := range []struct{ method, path string }{
		{"POST", "/login"}, {"POST", "/login"}, {"GET", "/hello"}, {"GET", "/hello"},
	} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(req.method, req.path, nil))
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
	gin.SetMode(gin.ReleaseMode)
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	l, err := ratelimit.New(store, ratelimit.PerMinute(1))
	if err != nil {
		log.Fatal(err)
	}
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
