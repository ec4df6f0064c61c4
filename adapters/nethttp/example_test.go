package httplimit_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
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

// ExampleHandlerFunc is the README's HTTP snippet: a global limit on every
// request and a stricter one on POST /login, with the headers each response
// carries.
func ExampleHandlerFunc() {
	limiter, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.PerSecond(10), ratelimit.PerHour(1000)})
	if err != nil {
		panic(err)
	}
	defer limiter.Close()
	loginLimiter, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.PerMinute(1)})
	if err != nil {
		panic(err)
	}
	defer loginLimiter.Close()
	hello := func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello\n") }
	login := func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "welcome\n") }

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", hello)
	mux.Handle("POST /login", httplimit.HandlerFunc(loginLimiter, login)) // a stricter limit on one route
	h := httplimit.Middleware(limiter)(mux)                               // every request, keyed by client IP

	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/hello"}, {http.MethodGet, "/hello"}, {http.MethodGet, "/hello"}, {http.MethodPost, "/login"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(r.method, r.path, nil))
		fmt.Println(r.method, r.path, w.Code, w.Header().Get("RateLimit"))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/login", nil))
	fmt.Println("POST /login", w.Code, w.Header().Get("RateLimit-Policy"))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/hello", nil))
	fmt.Println("GET /hello", w.Code, w.Header().Get("RateLimit-Policy"))
	// Output:
	// GET /hello 200 "10/s";r=9;t=2
	// GET /hello 200 "10/s";r=8;t=2
	// GET /hello 200 "10/s";r=7;t=2
	// POST /login 200 "1/min";r=0;t=61
	// POST /login 429 "1/min";q=1;w=60
	// GET /hello 200 "10/s";q=10;w=1, "1000/h";q=1000;w=3600
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
	// Behind a load balancer at 10.0.0.0/8 that appends the client's address
	// to X-Forwarded-For: trust that header from it, and no other.
	key := httplimit.ClientIP(httplimit.TrustProxies("X-Forwarded-For", netip.MustParsePrefix("10.0.0.0/8")))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.1.2.3:4567"
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 203.0.113.9") // the client wrote 6.6.6.6
	r.Header.Set("X-Real-IP", "6.6.6.7")                    // the client wrote it all
	fmt.Println(key(httplimit.NetHTTPRequest{R: r}))
	// Output: 203.0.113.9 <nil>
}

// ExampleTrustProxies keys requests by the address each kind of proxy
// forwards, in the one header it sets.
func ExampleTrustProxies() {
	nginx, err := httplimit.ParseTrusted("10.0.0.2") // a bare address: that one host
	if err != nil {
		panic(err)
	}
	cloudflare, err := httplimit.ParseTrusted("173.245.48.0/20", "2400:cb00::/32") // …the list at https://www.cloudflare.com/ips/
	if err != nil {
		panic(err)
	}
	for _, c := range []struct {
		recipe string
		opt    httplimit.IPOption
		peer   string
		header string
		value  string // as the proxy sets it
	}{
		// proxy_set_header X-Real-IP $remote_addr;
		{"nginx X-Real-IP", httplimit.TrustProxies("X-Real-IP", nginx...), "10.0.0.2:3000", "X-Real-IP", "203.0.113.1"},
		// proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
		{"nginx X-Forwarded-For", httplimit.TrustProxies("X-Forwarded-For", nginx...), "10.0.0.2:3000", "X-Forwarded-For", "6.6.6.6, 203.0.113.2"},
		{"Cloudflare", httplimit.TrustProxies("CF-Connecting-IP", cloudflare...), "173.245.48.1:3000", "CF-Connecting-IP", "203.0.113.3"},
		// An AWS Application Load Balancer appends to X-Forwarded-For; trust the VPC.
		{"AWS ALB", httplimit.TrustProxies("X-Forwarded-For", netip.MustParsePrefix("172.31.0.0/16")), "172.31.7.8:3000", "X-Forwarded-For", "6.6.6.6, 203.0.113.4"},
	} {
		key := httplimit.ClientIP(c.opt)
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.peer
		r.Header.Set(c.header, c.value)
		r.Header.Set("Forwarded", "for=6.6.6.6") // the client's own: never read
		k, _ := key(httplimit.NetHTTPRequest{R: r})
		fmt.Println(c.recipe+":", k)
	}
	// Output:
	// nginx X-Real-IP: 203.0.113.1
	// nginx X-Forwarded-For: 203.0.113.2
	// Cloudflare: 203.0.113.3
	// AWS ALB: 203.0.113.4
}

func ExampleParseTrusted() {
	_, err := httplimit.ParseTrusted("10.0.0.0/8", "192.168.1.7/16")
	fmt.Println(err)
	ps, _ := httplimit.ParseTrusted("10.0.0.0/8", "192.168.1.7")
	fmt.Println(ps)
	// Output:
	// ratelimit: invalid argument: trusted proxy prefix 192.168.1.7/16 has host bits set: write 192.168.0.0/16, or 192.168.1.7/32 for the one address
	// [10.0.0.0/8 192.168.1.7/32]
}
