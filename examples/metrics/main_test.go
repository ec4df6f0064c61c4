package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetrics runs the requests of the package comment and checks the
// shadow header and the lines of /metrics it promises.
func TestMetrics(t *testing.T) {
	h, err := newHandler(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
		r.RemoteAddr = "127.0.0.1:5000"
		h.ServeHTTP(w, r)
		return w
	}
	for i := range 4 {
		w := get("/hello")
		denied := strings.HasSuffix(w.Header().Get("X-Ratelimit-Shadow"), ";denied")
		if w.Code != http.StatusOK || denied != (i >= 2) {
			t.Errorf("request %d: %d, X-Ratelimit-Shadow %q", i+1, w.Code, w.Header().Get("X-Ratelimit-Shadow"))
		}
	}
	body, _ := io.ReadAll(get("/metrics").Body)
	for _, line := range []string{
		`ratelimit_decisions_total{limiter="api",outcome="allowed",policy="enforce",rate="10/min"} 4`,
		`ratelimit_decisions_total{limiter="api-next",outcome="allowed",policy="shadow",rate="2/min"} 2`,
		`ratelimit_decisions_total{limiter="api-next",outcome="denied",policy="shadow",rate="2/min"} 2`,
	} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("/metrics lacks %s:\n%s", line, body)
		}
	}
}
