// Command nethttp serves a net/http API limited per client IP, with a
// stricter limit on two routes, and shows the outbound Transport. From the
// repository's root:
//
//	go run ./examples/nethttp
//	for i in $(seq 7); do curl -si localhost:8080/hello | grep -E '^HTTP|^Ratelimit:|^Retry'; done
//
// Every route allows 5 requests per 10 seconds (and 100 an hour) per client
// IP, so the 6th and 7th requests get 429 Too Many Requests with
// Retry-After. POST /login allows 2 a minute on top of that, and GET /search
// 1 a second; once those 10 seconds are up:
//
//	for i in $(seq 3); do curl -si -X POST localhost:8080/login | head -1; done
//	for i in 1 2; do curl -si localhost:8080/search | head -1; done
//
// GET /fetch calls /hello through a limited http.Client, 1 request per
// second to each host, waiting its turn: the second of two quick calls
// takes about a second. The call to /hello comes from 127.0.0.1 like curl's,
// so each /fetch counts twice against that client's limit (wait another 10
// seconds first).
//
//	for i in 1 2; do curl -s -w '%{time_total}s\n' localhost:8080/fetch; done
//
// Stop it with Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen `address`")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp example:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string) error {
	// One store serves the three limiters below; prefixes keep their keys apart.
	store, err := memorystore.New()
	if err != nil {
		return err
	}
	// 5 requests per 10 seconds and 100 per hour, per client IP.
	perClient, err := ratelimit.New(store, ratelimit.Rate{Limit: 5, Interval: 10 * time.Second}, ratelimit.PerHour(100))
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
	// 1 outbound request a second per host.
	outbound, err := ratelimit.New(store, ratelimit.PerSecond(1), ratelimit.WithPrefix("fetch:"))
	if err != nil {
		return err
	}
	defer outbound.Close()
	client := &http.Client{Transport: httplimit.Transport(nil, outbound, nil), Timeout: 10 * time.Second}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "hello\n")
	})
	// A per-route limit: middleware of its own around one handler.
	mux.Handle("POST /login", httplimit.Middleware(login)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "welcome\n")
	})))
	// The one-expression form: 1 a second per client IP, in a store of its own.
	mux.Handle("GET /search", httplimit.LimitByIP(ratelimit.PerSecond(1))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "no results\n")
	})))
	mux.HandleFunc("GET /fetch", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://"+addr+"/hello", nil)
		res, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		fmt.Fprintf(w, "fetched /hello: %s\n", res.Status)
	})

	srv := &http.Server{Addr: addr, Handler: httplimit.Middleware(perClient)(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("listening on http://%s", addr)
	log.Printf("try: for i in $(seq 7); do curl -si %s/hello | grep -E '^HTTP|^Ratelimit:|^Retry'; done", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
