// Command gin serves a gin API limited per client IP, with a stricter
// limit on two routes. From the repository's root:
//
//	go run ./examples/gin
//	for i in $(seq 7); do curl -si localhost:8080/hello | head -1; done
//
// Every route allows 5 requests per 10 seconds per client IP, so the 6th
// and 7th requests get 429 Too Many Requests with Retry-After. POST /login
// allows 2 a minute on top of that, and GET /search 1 a second; once those
// 10 seconds are up:
//
//	for i in $(seq 3); do curl -si -X POST localhost:8080/login | head -1; done
//	for i in 1 2; do curl -si localhost:8080/search | head -1; done
//
// Stop it with Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gorate/ratelimit"
	ginlimit "github.com/gorate/ratelimit/adapters/gin"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen `address`")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "gin example:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string) error {
	// One store serves both limiters; the login limiter's prefix keeps its
	// keys apart.
	store, err := memorystore.New()
	if err != nil {
		return err
	}
	// 5 requests per 10 seconds per client IP, on every route.
	perClient, err := ratelimit.New(store, ratelimit.Rate{Limit: 5, Interval: 10 * time.Second})
	if err != nil {
		return err
	}
	defer perClient.Close()
	// 2 logins a minute per client IP.
	login, err := ratelimit.New(store, ratelimit.PerMinute(2), ratelimit.WithPrefix("login:"))
	if err != nil {
		return err
	}
	defer login.Close()

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery(), ginlimit.Middleware(perClient))
	r.GET("/hello", func(c *gin.Context) { c.String(http.StatusOK, "hello\n") })
	// A per-route limit: middleware of its own in front of one handler.
	r.POST("/login", ginlimit.Middleware(login), func(c *gin.Context) {
		c.String(http.StatusOK, "welcome\n")
	})
	// The one-expression form: 1 a second per client IP, in a store of its own.
	r.GET("/search", ginlimit.LimitByIP(ratelimit.PerSecond(1)), func(c *gin.Context) {
		c.String(http.StatusOK, "no results\n")
	})

	srv := &http.Server{Addr: addr, Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("listening on http://%s", addr)
	log.Printf("try: for i in $(seq 7); do curl -si %s/hello | head -1; done", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
