package promlimit_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gorate/ratelimit"
	memorystore "github.com/gorate/ratelimit/store/memory"
	promlimit "github.com/gorate/ratelimit/telemetry/prometheus"
)

// An Observer counts a limiter's decisions; promhttp serves them.
func ExampleNew() {
	reg := prometheus.NewRegistry()
	obs, err := promlimit.New(reg)
	if err != nil {
		log.Fatal(err)
	}
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	api, err := ratelimit.New(store, ratelimit.PerMinute(2), ratelimit.WithName("api"), ratelimit.WithObserver(obs))
	if err != nil {
		log.Fatal(err)
	}
	defer api.Close()
	for range 3 {
		api.Allow(context.Background(), "user:42")
	}

	// Serve the metrics as a /metrics endpoint would: http.Handle("/metrics", h).
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for sc := bufio.NewScanner(rec.Body); sc.Scan(); {
		if line := sc.Text(); !strings.HasPrefix(line, "#") {
			fmt.Println(line)
		}
	}
	// Output:
	// ratelimit_decisions_total{limiter="api",outcome="allowed",policy="enforce",rate="2/min"} 2
	// ratelimit_decisions_total{limiter="api",outcome="denied",policy="enforce",rate="2/min"} 1
}
