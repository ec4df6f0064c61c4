package fiberlimit_test

import (
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/gofiber/fiber/v2"

	"github.com/gorate/ratelimit"
	fiberlimit "github.com/gorate/ratelimit/adapters/fiber"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// Every request is limited, per client IP, to 2 a minute.
func ExampleLimitByIP() {
	app := fiber.New()
	app.Use(fiberlimit.LimitByIP(ratelimit.PerMinute(2)))
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("hello") })

	for range 3 {
		res, err := app.Test(httptest.NewRequest("GET", "/", nil), -1)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println(res.StatusCode, res.Header.Get("RateLimit-Policy"), res.Header.Get("X-RateLimit-Remaining"))
	}
	// Output:
	// 200 "2/min";q=2;w=60 1
	// 200 "2/min";q=2;w=60 0
	// 429 "2/min";q=2;w=60 0
}

// On one route, keyed by an API key header and the route's path, so each
// route mounted this way has a limit of its own per API key.
func ExampleMiddleware() {
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	l, err := ratelimit.New(store, ratelimit.PerMinute(1))
	if err != nil {
		log.Fatal(err)
	}

	limit := fiberlimit.Middleware(l, httplimit.WithKey(httplimit.Header("X-Api-Key"), httplimit.Route()))
	app := fiber.New()
	app.Get("/items/:id", limit, func(c *fiber.Ctx) error { return c.SendString("item") })
	app.Get("/health", func(c *fiber.Ctx) error { return c.SendString("up") })

	for _, c := range []struct{ key, path string }{
		{"ann", "/items/1"},
		{"ann", "/items/2"}, // same route, same key: denied
		{"bob", "/items/1"},
		{"ann", "/health"}, // not limited
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		req.Header.Set("X-Api-Key", c.key)
		res, err := app.Test(req, -1)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println(c.key, c.path, res.StatusCode)
	}
	// Output:
	// ann /items/1 200
	// ann /items/2 429
	// bob /items/1 200
	// ann /health 200
}
