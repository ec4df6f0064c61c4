package httplimit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// show sends method path from peer through h and prints the status and the
// named headers that are set.
func show(h http.Handler, method, path, peer string, headers ...string) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = peer
	h.ServeHTTP(w, r)
	fmt.Print(method, " ", path, " ", w.Code)
	for _, name := range headers {
		if v := w.Header().Get(name); v != "" {
			fmt.Print(" ", v)
		}
	}
	fmt.Println()
}

// Two requests a second and 1000 an hour per client IP, nothing to close.
func ExampleLimitByIP() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello\n") })
	h := httplimit.LimitByIP(ratelimit.PerSecond(2), ratelimit.PerHour(1000))(mux)
	// http.ListenAndServe(":8080", h)

	for _, peer := range []string{"192.0.2.1:1000", "192.0.2.1:1001", "192.0.2.1:1002", "192.0.2.2:1000"} {
		show(h, "GET", "/hello", peer, "RateLimit-Policy", "X-RateLimit-Remaining")
	}
	// Output:
	// GET /hello 200 "2/s";q=2;w=1 1
	// GET /hello 200 "2/s";q=2;w=1 0
	// GET /hello 429 "2/s";q=2;w=1 0
	// GET /hello 200 "2/s";q=2;w=1 1
}

// A limit on every request and a stricter one on POST /login, over one
// store: each limiter keeps its keys apart with a prefix of its own.
func ExampleMiddleware() {
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	all, err := ratelimit.New(store, ratelimit.PerSecond(10), ratelimit.PerHour(1000), ratelimit.WithPrefix("all:"))
	if err != nil {
		log.Fatal(err)
	}
	login, err := ratelimit.New(store, ratelimit.PerMinute(1), ratelimit.WithPrefix("login:"))
	if err != nil {
		log.Fatal(err)
	}
	hello := func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello\n") }

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", hello)
	mux.Handle("POST /login", httplimit.Middleware(login)(http.HandlerFunc(hello)))
	h := httplimit.Middleware(all)(mux) // every request, keyed by client IP

	show(h, "GET", "/hello", "192.0.2.1:1000", "RateLimit-Policy", "X-RateLimit-Remaining")
	show(h, "POST", "/login", "192.0.2.1:1000", "RateLimit-Policy", "X-RateLimit-Remaining")
	show(h, "POST", "/login", "192.0.2.1:1000", "RateLimit-Policy", "X-RateLimit-Remaining")
	// Output:
	// GET /hello 200 "10/s";q=10;w=1 9
	// POST /login 200 "1/min";q=1;w=60 0
	// POST /login 429 "1/min";q=1;w=60 0
}

// Rates per key: the headers are the key's own plan, not the limiter's
// rates.
func ExampleMiddleware_plans() {
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	free, pro := ratelimit.Rates{ratelimit.PerMinute(2)}, ratelimit.Rates{ratelimit.PerMinute(100)}
	l, err := ratelimit.New(store, free, ratelimit.WithRatesFor(func(_ context.Context, key string) (ratelimit.Rates, error) {
		if key == "key-pro" {
			return pro, nil
		}
		return nil, nil // the limiter's own: free
	}))
	if err != nil {
		log.Fatal(err)
	}
	h := httplimit.Middleware(l, httplimit.WithKey(httplimit.Query("api_key")))(http.NotFoundHandler())

	show(h, "GET", "/?api_key=key-free", "192.0.2.1:1", "X-RateLimit-Limit", "X-RateLimit-Remaining")
	show(h, "GET", "/?api_key=key-pro", "192.0.2.1:1", "X-RateLimit-Limit", "X-RateLimit-Remaining")
	show(h, "GET", "/", "192.0.2.1:1")
	// Output:
	// GET /?api_key=key-free 404 2 1
	// GET /?api_key=key-pro 404 100 99
	// GET / 400
}

// A client behind nginx, which sets X-Real-IP: the key is the address nginx
// forwarded, whatever the client wrote in the headers nginx does not set.
func ExampleTrustProxies() {
	// nginx: proxy_set_header X-Real-IP $remote_addr;
	nginx, err := httplimit.TrustProxies("X-Real-IP", "10.0.0.2")
	if err != nil {
		log.Fatal(err)
	}
	clientIP := httplimit.ClientIP(nginx)
	printKey := func(r httplimit.Request) (string, error) {
		key, err := clientIP(r)
		fmt.Println("key:", key)
		return key, err
	}
	l, err := ratelimit.New(must(memorystore.New()), ratelimit.PerMinute(10))
	if err != nil {
		log.Fatal(err)
	}
	h := httplimit.Middleware(l, httplimit.WithKey(printKey))(http.NotFoundHandler())

	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:40000" // nginx
	r.Header.Set("X-Real-IP", "203.0.113.7")
	r.Header.Set("X-Forwarded-For", "6.6.6.6") // the client's own
	h.ServeHTTP(httptest.NewRecorder(), r)

	r.RemoteAddr = "203.0.113.9:5555" // a client around nginx
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// key: 203.0.113.7
	// key: 203.0.113.9
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}

// A page of one's own for a denial; the default reply for anything else.
func ExampleWithReply() {
	l, err := ratelimit.New(must(memorystore.New()), ratelimit.PerMinute(1))
	if err != nil {
		log.Fatal(err)
	}
	page := httplimit.WithReply(func(_ httplimit.Request, status int, d ratelimit.Decision, _ error) httplimit.Reply {
		if status != http.StatusTooManyRequests {
			return httplimit.Reply{}
		}
		return httplimit.Reply{ContentType: "text/html", Body: fmt.Appendf(nil, "<p>You have had your %d requests a minute.</p>\n", d.Rate.Limit)}
	})
	h := httplimit.Middleware(l, page)(http.NotFoundHandler())
	for range 2 {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		h.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 404 404 page not found
	// 429 <p>You have had your 1 requests a minute.</p>
}

// At most 2 requests a minute to each host: a third waits, here longer than
// its deadline allows, so it fails at once and is never sent.
func ExampleTransport() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	l, err := ratelimit.New(must(memorystore.New()), ratelimit.PerMinute(2))
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: httplimit.Transport(nil, l, nil)}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 3 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err != nil {
			log.Fatal(err)
		}
		res, err := client.Do(req)
		if err != nil {
			fmt.Println(errors.Is(err, ratelimit.ErrWaitTooLong))
			continue
		}
		res.Body.Close()
		fmt.Println(res.Status)
	}
	// Output:
	// 200 OK
	// 200 OK
	// true
}

// A server that answers 429 with Retry-After: 60 holds its host back for a
// minute: the next request would wait past its deadline, so it fails at
// once and is never sent. The zero Block makes the limiter keep the hold in
// its store, where every process sharing the store would see it.
func ExampleTransport_retryAfter() {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		sent.Add(1)
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	l, err := ratelimit.New(must(memorystore.New()), ratelimit.PerSecond(10), ratelimit.Block{})
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: httplimit.Transport(nil, l, nil), Timeout: 5 * time.Second}
	for range 2 {
		res, err := client.Get(srv.URL)
		if err != nil {
			fmt.Println(errors.Is(err, ratelimit.ErrWaitTooLong))
			continue
		}
		res.Body.Close()
		fmt.Println(res.Status)
	}
	fmt.Println("sent:", sent.Load())
	// Output:
	// 429 Too Many Requests
	// true
	// sent: 1
}

// A client that learns the server's announced policy, 2 requests a
// second, and keeps to it from then on, instead of its own 10 a second.
func ExampleLearned() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("RateLimit-Policy", `"default";q=2;w=1`)
	}))
	defer srv.Close()
	learned := httplimit.NewLearned(nil)
	l, err := ratelimit.New(must(memorystore.New()), ratelimit.PerSecond(10), ratelimit.WithRatesFor(learned.RatesFor))
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: httplimit.Transport(learned.Learn(nil), l, nil)}
	res, err := client.Get(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	rates, _ := learned.RatesFor(context.Background(), res.Request.URL.Host)
	fmt.Println("learned:", rates)
	// Output:
	// learned: 2/s
}

// Behind nginx, the office network passes uncounted, one address and one
// API key are refused, and the deny list grows while the server runs.
func ExampleWithLists() {
	// nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
	nginx, err := httplimit.TrustProxies("X-Forwarded-For", "10.0.0.2")
	if err != nil {
		log.Fatal(err)
	}
	allow, err := httplimit.NewList([]string{"198.51.100.0/24"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	deny, err := httplimit.NewList([]string{"203.0.113.66"}, []string{"203.0.113.99"})
	if err != nil {
		log.Fatal(err)
	}
	l, err := ratelimit.New(must(memorystore.New()), ratelimit.PerMinute(1))
	if err != nil {
		log.Fatal(err)
	}
	h := httplimit.Middleware(l,
		httplimit.WithKey(httplimit.ClientIP(nginx)),
		httplimit.WithLists(allow, deny, nginx), // the lists judge the client nginx forwarded
	)(http.NotFoundHandler())

	from := func(client string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.0.0.2:40000" // nginx
		r.Header.Set("X-Forwarded-For", client)
		h.ServeHTTP(w, r)
		fmt.Print(client, " ", w.Code)
		if v := w.Header().Get("X-RateLimit-Remaining"); v != "" {
			fmt.Print(" remaining ", v)
		}
		fmt.Println()
	}
	from("198.51.100.7") // the office: no limit, no rate-limit headers
	from("198.51.100.7")
	from("203.0.113.66") // denied by address
	from("203.0.113.99") // denied by key: ClientIP's key is the address
	from("203.0.113.7")
	from("203.0.113.7")

	if err := deny.Set([]string{"203.0.113.66", "203.0.113.7"}, nil); err != nil {
		log.Fatal(err)
	}
	from("203.0.113.7")
	// Output:
	// 198.51.100.7 404
	// 198.51.100.7 404
	// 203.0.113.66 403
	// 203.0.113.99 403
	// 203.0.113.7 404 remaining 0
	// 203.0.113.7 429 remaining 0
	// 203.0.113.7 403
}

// Only failed responses count: a client may fetch as much as it likes, but
// after 2 errors a minute it is denied.
func ExampleWithCountIf() {
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	l, err := ratelimit.New(store, ratelimit.PerMinute(2))
	if err != nil {
		log.Fatal(err)
	}
	h := httplimit.Middleware(l, httplimit.WithCountIf(httplimit.Failed))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("id") == "" {
			http.Error(w, "no id", http.StatusBadRequest)
		}
	}))

	for _, path := range []string{"/?id=1", "/?id=2", "/?id=3", "/", "/", "/?id=4"} {
		show(h, "GET", path, "192.0.2.1:1000")
	}
	// Output:
	// GET /?id=1 200
	// GET /?id=2 200
	// GET /?id=3 200
	// GET / 400
	// GET / 400
	// GET /?id=4 429
}

// Each response costs the KiB it sent, against 100 KiB a minute. Admitted
// while the client is within its limit (nothing is taken up front), a
// request is charged after the handler, and may overdraw: the next is
// denied until the excess has expired.
func ExampleWithResponseCost() {
	store, err := memorystore.New()
	if err != nil {
		log.Fatal(err)
	}
	l, err := ratelimit.New(store, ratelimit.PerMinute(100)) // KiB
	if err != nil {
		log.Fatal(err)
	}
	kib := func(_ httplimit.Request, resp httplimit.Response) (int64, error) {
		return (resp.Written() + 1023) / 1024, nil
	}
	h := httplimit.Middleware(l, httplimit.WithResponseCost(kib))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write(make([]byte, 40<<10))
	}))

	for range 4 {
		show(h, "GET", "/report", "192.0.2.1:1000", "X-RateLimit-Remaining")
	}
	// Output:
	// GET /report 200 100
	// GET /report 200 60
	// GET /report 200 20
	// GET /report 429 0
}
