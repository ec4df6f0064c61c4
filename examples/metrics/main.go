// Command metrics serves a net/http API limited per client IP, exposes the
// limiter's Prometheus metrics on /metrics, and tries a stricter limit in
// shadow: it is counted and reported, never enforced. From the repository's
// root:
//
//	go run ./examples/metrics
//	for i in $(seq 4); do curl -si localhost:8080/hello | grep -E '^HTTP|^X-Ratelimit-Shadow'; done
//	curl -s localhost:8080/metrics | grep '^ratelimit_decisions_total'
//
// The enforced limit is 10 requests a minute per client IP; the shadow is
// 2 a minute. All four requests pass; from the third on, X-Ratelimit-Shadow
// ends in ";denied", and /metrics counts them:
//
//	ratelimit_decisions_total{limiter="api",outcome="allowed",policy="enforce",rate="10/min"} 4
//	ratelimit_decisions_total{limiter="api-next",outcome="allowed",policy="shadow",rate="2/min"} 2
//	ratelimit_decisions_total{limiter="api-next",outcome="denied",policy="shadow",rate="2/min"} 2
//
// Denials and store failures are also logged, at most 10 lines a second.
// Stop it with Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
	promlimit "github.com/gorate/ratelimit/telemetry/prometheus"
	sloglimit "github.com/gorate/ratelimit/telemetry/slog"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen `address`")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	h, err := newHandler(prometheus.NewRegistry())
	if err != nil {
		fmt.Fprintln(os.Stderr, "metrics example:", err)
		os.Exit(1)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "metrics example:", err)
		os.Exit(1)
	}
}

// newHandler returns the API, limited, with /metrics from reg.
func newHandler(reg *prometheus.Registry) (http.Handler, error) {
	store, err := memorystore.New()
	if err != nil {
		return nil, err
	}
	metrics, err := promlimit.New(reg)
	if err != nil {
		return nil, err
	}
	logs := sloglimit.New(slog.Default())
	// The limit being tried: 2 a minute, under keys of its own.
	next, err := ratelimit.New(store, ratelimit.PerMinute(2), ratelimit.WithPrefix("next:"),
		ratelimit.WithName("api-next"), ratelimit.WithObserver(metrics), ratelimit.WithObserver(logs))
	if err != nil {
		return nil, err
	}
	// The limit enforced: 10 a minute.
	api, err := ratelimit.New(store, ratelimit.PerMinute(10), ratelimit.WithShadow(next),
		ratelimit.WithName("api"), ratelimit.WithObserver(metrics), ratelimit.WithObserver(logs))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") })
	limited := httplimit.Middleware(api, httplimit.WithHeaders(httplimit.HeadersIETF|httplimit.HeadersShadow))(mux)
	root := http.NewServeMux()
	root.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	root.Handle("/", limited)
	return root, nil
}
