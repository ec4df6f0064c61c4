package httplimit_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

func ExampleMiddleware() {
	l, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.PerMinute(2)})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello\n") })
	h := httplimit.Middleware(l)(mux)

	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/hello", nil))
		fmt.Println(w.Code, w.Header().Get("RateLimit-Policy"), w.Header().Get("X-RateLimit-Remaining"))
	}
	// Output:
	// 200 "2/min";q=2;w=60 1
	// 200 "2/min";q=2;w=60 0
	// 429 "2/min";q=2;w=60 0
}

func ExampleTransport() {
	l, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.PerSecond(10)})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	// At most 10 requests per second to each host, waiting when needed.
	client := &http.Client{Transport: httplimit.NewTransport(http.DefaultTransport, l)}
	_ = client
}

func ExampleClientIP() {
	// Behind a load balancer at 10.0.0.0/8: trust its X-Forwarded-For.
	key := httplimit.ClientIP(httplimit.TrustProxies(netip.MustParsePrefix("10.0.0.0/8")))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.1.2.3:4567"
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 203.0.113.9") // the client wrote 6.6.6.6
	fmt.Println(key(httplimit.NetHTTPRequest{R: r}))
	// Output: 203.0.113.9 <nil>
}
