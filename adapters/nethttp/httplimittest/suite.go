// Package httplimittest is the suite every HTTP adapter of ratelimit runs:
// the same requests through the net/http, gin, echo and fiber middleware get
// the same statuses, headers and bodies.
//
//	func TestSuite(t *testing.T) {
//		httplimittest.Run(t, func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) http.Handler {
//			r := gin.New()
//			r.Use(ginlimit.Middleware(l, opts...))
//			r.GET("/", ok)
//			r.GET("/r/:id", ok)
//			return r
//		})
//	}
package httplimittest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// Run runs every case against an adapter. newHandler returns a handler
// that serves, through the adapter's middleware over l with opts, GET / and
// GET /r/{id} (in the framework's route syntax, mounted so that the
// request's Route is that pattern), each answering 200 "ok", and GET /reply,
// answering what [ParseAnswer] reads from its query through the
// framework's own response API. The handler must hand each request's
// context and RemoteAddr to the middleware, and let a handler's panic
// reach its caller (no recovery).
func Run(t *testing.T, newHandler func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) http.Handler) {
	t.Helper()
	for _, c := range []struct {
		name string
		fn   func(*testing.T, server)
	}{
		{"AllowedThenDenied", testAllowedThenDenied},
		{"SeveralRates", testSeveralRates},
		{"Plans", testPlans},
		{"JSONBody", testJSONBody},
		{"Cost", testCost},
		{"Skip", testSkip},
		{"KeyHeader", testKeyHeader},
		{"Route", testRoute},
		{"StoreFailure", testStoreFailure},
		{"DryRun", testDryRun},
		{"Shadow", testShadow},
		{"Wait", testWait},
		{"Concurrent", testConcurrent},
		{"HeaderModes", testHeaderModes},
		{"Reply", testReply},
		{"ClientIP", testClientIP},
		{"SpoofedForwarding", testSpoofedForwarding},
		{"Unkeyable", testUnkeyable},
		{"BadCost", testBadCost},
		{"ContextEnds", testContextEnds},
		{"NilOptions", testNilOptions},
		{"ListAllowed", testListAllowed},
		{"ListDenied", testListDenied},
		{"ListDenyWins", testListDenyWins},
		{"ListKeys", testListKeys},
		{"ListSpoofed", testListSpoofed},
		{"ListSet", testListSet},
		{"CountOnlyFailed", testCountOnlyFailed},
		{"CountOnlySucceeded", testCountOnlySucceeded},
		{"CountIfConcurrent", testCountIfConcurrent},
		{"ResponseSeen", testResponseSeen},
		{"ResponseSize", testResponseSize},
		{"ResponseCost", testResponseCost},
		{"NotSettled", testNotSettled},
		{"SettleContext", testSettleContext},
		{"SettleFailures", testSettleFailures},
		{"NoSettler", testNoSettler},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newHandler) })
	}
}

// server is Run's newHandler.
type server = func(t *testing.T, l *ratelimit.Limiter, opts ...httplimit.Option) http.Handler

// start is the fake clock's first reading in every case.
const start = 1_000_000

// newLimiter returns a limiter configured by opts over a memory store
// whose fake clock it returns.
func newLimiter(t *testing.T, opts ...ratelimit.Option) (*ratelimit.Limiter, *core.FakeClock) {
	t.Helper()
	s, clock := fakeStore(t)
	return limiter(t, s, opts...), clock
}

// fakeStore returns a memory store on a fake clock, and the clock.
func fakeStore(t *testing.T) (*memorystore.Store, *core.FakeClock) {
	t.Helper()
	clock := core.NewFakeClock(start)
	s, err := memorystore.New(memorystore.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	return s, clock
}

// limiter returns a limiter over s configured by opts.
func limiter(t *testing.T, s ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// response is what a case checks of one response.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends GET path through h, after applying mods to the request
// (RemoteAddr 192.0.2.1:1234 unless a mod changes it).
func do(t *testing.T, h http.Handler, path string, mods ...func(*http.Request)) response {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	req.RemoteAddr = "192.0.2.1:1234"
	for _, m := range mods {
		m(req)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return response{w.Code, w.Result().Header, w.Body.String()}
}

func header(name, value string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

func remote(addr string) func(*http.Request) {
	return func(r *http.Request) { r.RemoteAddr = addr }
}

func withContext(ctx context.Context) func(*http.Request) {
	return func(r *http.Request) { *r = *r.WithContext(ctx) }
}

// want checks status and the named headers ("" means absent) of r.
func (r response) want(t *testing.T, status int, headers ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d (body %q)", r.status, status, r.body)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if got := r.header.Get(headers[i]); got != headers[i+1] {
			t.Errorf("status %d: %s = %q, want %q", r.status, headers[i], got, headers[i+1])
		}
	}
}

// A window of 1 s counts units stamped at now-1000 ms too, so a unit taken
// at time T leaves the window at T+1001 ms: reset and retry-after are
// 1001 ms, 2 s in delta-seconds rounded up.
func testAllowedThenDenied(t *testing.T, newHandler server) {
	l, clock := newLimiter(t, ratelimit.PerSecond(3))
	h := newHandler(t, l)
	for i, left := range []string{"2", "1", "0"} {
		r := do(t, h, "/")
		r.want(t, http.StatusOK,
			"Ratelimit-Policy", `"3/s";q=3;w=1`,
			"Ratelimit", `"3/s";r=`+left+`;t=2`,
			"X-Ratelimit-Limit", "3",
			"X-Ratelimit-Remaining", left,
			"X-Ratelimit-Reset", "2",
			"Retry-After", "",
			"X-Content-Type-Options", "")
		if r.body != "ok" {
			t.Errorf("request %d: body %q, want the handler's", i, r.body)
		}
	}
	r := do(t, h, "/")
	r.want(t, http.StatusTooManyRequests,
		"Ratelimit-Policy", `"3/s";q=3;w=1`,
		"Ratelimit", `"3/s";r=0;t=2`,
		"X-Ratelimit-Remaining", "0",
		"Retry-After", "2",
		"Content-Type", "text/plain; charset=utf-8",
		"X-Content-Type-Options", "nosniff")
	if r.body != "rate limit exceeded\n" {
		t.Errorf("429 body %q", r.body)
	}
	clock.Advance(1000 * time.Millisecond)
	do(t, h, "/").want(t, http.StatusTooManyRequests, "Retry-After", "1")
	clock.Advance(time.Millisecond)
	do(t, h, "/").want(t, http.StatusOK, "X-Ratelimit-Remaining", "2")
}

// testSeveralRates checks that the headers follow the Decision's rate: the
// tightest while allowed, the first denying one when denied.
func testSeveralRates(t *testing.T, newHandler server) {
	l, clock := newLimiter(t, ratelimit.PerSecond(2), ratelimit.PerMinute(3))
	h := newHandler(t, l)
	second, minute := `"2/s";q=2;w=1`, `"3/min";q=3;w=60`
	do(t, h, "/").want(t, http.StatusOK, "Ratelimit-Policy", second, "Ratelimit", `"2/s";r=1;t=2`)
	do(t, h, "/").want(t, http.StatusOK, "Ratelimit", `"2/s";r=0;t=2`, "X-Ratelimit-Limit", "2")
	do(t, h, "/").want(t, http.StatusTooManyRequests, "Ratelimit-Policy", second, "Ratelimit", `"2/s";r=0;t=2`, "Retry-After", "2")
	clock.Advance(1001 * time.Millisecond)
	// The per-minute rate is now the tightest: it has no unit left.
	do(t, h, "/").want(t, http.StatusOK, "Ratelimit-Policy", minute, "Ratelimit", `"3/min";r=0;t=61`, "X-Ratelimit-Limit", "3")
	// Denied by the per-minute rate: the oldest unit leaves its window at
	// start+60001 ms, 59000 ms from now.
	do(t, h, "/").want(t, http.StatusTooManyRequests,
		"Ratelimit-Policy", minute,
		"Ratelimit", `"3/min";r=0;t=61`,
		"X-Ratelimit-Limit", "3",
		"X-Ratelimit-Remaining", "0",
		"X-Ratelimit-Reset", "61",
		"Retry-After", "59")
}

// testPlans checks that with rates per key the headers are each key's,
// not the limiter's own.
func testPlans(t *testing.T, newHandler server) {
	free, pro := ratelimit.Rates{ratelimit.PerMinute(2)}, ratelimit.Rates{ratelimit.PerMinute(5)}
	l, _ := newLimiter(t, ratelimit.PerSecond(100), ratelimit.WithRatesFor(func(_ context.Context, key string) (ratelimit.Rates, error) {
		if key == "pro" {
			return pro, nil
		}
		return free, nil
	}))
	h := newHandler(t, l, httplimit.WithKey(httplimit.Header("X-Plan")))
	plan := func(p string) func(*http.Request) { return header("X-Plan", p) }
	do(t, h, "/", plan("free")).want(t, http.StatusOK, "Ratelimit-Policy", `"2/min";q=2;w=60`, "Ratelimit", `"2/min";r=1;t=61`, "X-Ratelimit-Limit", "2")
	do(t, h, "/", plan("pro")).want(t, http.StatusOK, "Ratelimit-Policy", `"5/min";q=5;w=60`, "Ratelimit", `"5/min";r=4;t=61`, "X-Ratelimit-Limit", "5")
	do(t, h, "/", plan("free")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	do(t, h, "/", plan("free")).want(t, http.StatusTooManyRequests, "Ratelimit-Policy", `"2/min";q=2;w=60`, "X-Ratelimit-Limit", "2", "Retry-After", "61")
	do(t, h, "/", plan("pro")).want(t, http.StatusOK, "X-Ratelimit-Limit", "5", "X-Ratelimit-Remaining", "3")
}

func testJSONBody(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerSecond(1))
	h := newHandler(t, l)
	accept := header("Accept", "text/html, application/json;q=0.9")
	do(t, h, "/", accept).want(t, http.StatusOK)
	r := do(t, h, "/", accept)
	r.want(t, http.StatusTooManyRequests, "Content-Type", "application/json", "Retry-After", "2")
	if want := `{"error":"rate limit exceeded","retry_after":2}` + "\n"; r.body != want {
		t.Errorf("body %q, want %q", r.body, want)
	}
}

// costHeader is a cost function reading the X-Cost header.
func costHeader(r httplimit.Request) (int64, error) {
	return strconv.ParseInt(r.Header("X-Cost"), 10, 64)
}

func testCost(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerSecond(5))
	h := newHandler(t, l, httplimit.WithCost(costHeader))
	cost := func(n string) func(*http.Request) { return header("X-Cost", n) }
	do(t, h, "/", cost("3")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "2")
	do(t, h, "/", cost("3")).want(t, http.StatusTooManyRequests, "X-Ratelimit-Remaining", "2")
	do(t, h, "/", cost("2")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	// A cost of 0 takes nothing and reports the key's standing.
	do(t, h, "/", cost("0")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0", "Ratelimit", `"5/s";r=0;t=2`)
	// A weight no wait can admit: no Retry-After.
	do(t, h, "/", cost("6")).want(t, http.StatusTooManyRequests, "Retry-After", "")
}

func testSkip(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerSecond(1))
	h := newHandler(t, l, httplimit.WithSkip(func(r httplimit.Request) bool { return r.Path() == "/" }))
	for range 5 {
		do(t, h, "/").want(t, http.StatusOK, "Ratelimit", "", "X-Ratelimit-Limit", "")
	}
	do(t, h, "/r/1").want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	do(t, h, "/r/1").want(t, http.StatusTooManyRequests)
}

func testKeyHeader(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerSecond(1))
	h := newHandler(t, l, httplimit.WithKey(httplimit.Header("X-User"), httplimit.Query("q")))
	do(t, h, "/?q=1", header("X-User", "ann")).want(t, http.StatusOK)
	do(t, h, "/?q=1", header("X-User", "ann")).want(t, http.StatusTooManyRequests)
	do(t, h, "/?q=2", header("X-User", "ann")).want(t, http.StatusOK)
	do(t, h, "/?q=1", header("X-User", "bob")).want(t, http.StatusOK)
	// No key: the client's fault, never a limit shared by keyless requests.
	r := do(t, h, "/?q=1")
	r.want(t, http.StatusBadRequest, "Ratelimit", "", "Retry-After", "", "X-Content-Type-Options", "nosniff")
	if r.body != "request cannot be rate limited\n" {
		t.Errorf("400 body %q", r.body)
	}
}

func testRoute(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerSecond(2))
	h := newHandler(t, l, httplimit.WithKey(httplimit.Route()))
	do(t, h, "/r/1").want(t, http.StatusOK)
	do(t, h, "/r/2").want(t, http.StatusOK)
	do(t, h, "/r/3").want(t, http.StatusTooManyRequests) // one route, one limit
	do(t, h, "/").want(t, http.StatusOK)
}

// testWait runs on the real clock with short intervals: a request that fits
// after a short wait is held and admitted; one that would wait longer than
// the maximum is denied at once.
func testWait(t *testing.T, newHandler server) {
	s, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	l := limiter(t, s, ratelimit.Rate{Limit: 1, Interval: 50 * time.Millisecond}, ratelimit.WithBuffer(time.Millisecond))
	h := newHandler(t, l, httplimit.WithWait(5*time.Second))
	for range 3 {
		do(t, h, "/").want(t, http.StatusOK)
	}
	l2, _ := newLimiter(t, ratelimit.PerMinute(1))
	h = newHandler(t, l2, httplimit.WithWait(time.Second))
	do(t, h, "/").want(t, http.StatusOK)
	do(t, h, "/").want(t, http.StatusTooManyRequests, "Retry-After", "61")
}

func testConcurrent(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerSecond(10))
	ok, denied := concurrently(t, newHandler(t, l), "/", http.StatusOK)
	if ok != 10 || denied != 30 {
		t.Errorf("40 concurrent requests at 10/s: %d admitted, %d denied; want 10 and 30", ok, denied)
	}
}

// concurrently sends 40 requests GET path through h at once and returns
// how many were answered status and how many 429.
func concurrently(t *testing.T, h http.Handler, path string, status int) (served, denied int64) {
	t.Helper()
	var wg sync.WaitGroup
	var s, d atomic.Int64
	for range 40 {
		wg.Go(func() {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
			req.RemoteAddr = "192.0.2.1:1234"
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			io.Copy(io.Discard, w.Body)
			switch w.Code {
			case status:
				s.Add(1)
			case http.StatusTooManyRequests:
				d.Add(1)
			}
		})
	}
	wg.Wait()
	return s.Load(), d.Load()
}

func testHeaderModes(t *testing.T, newHandler server) {
	for _, c := range []struct {
		mode                 httplimit.HeaderMode
		policy, ietf, xlimit string
	}{
		{0, "", "", ""},
		{httplimit.HeadersIETF, `"1/s";q=1;w=1`, `"1/s";r=0;t=2`, ""},
		{httplimit.HeadersXRateLimit, "", "", "1"},
	} {
		l, _ := newLimiter(t, ratelimit.PerSecond(1))
		h := newHandler(t, l, httplimit.WithHeaders(c.mode))
		do(t, h, "/").want(t, http.StatusOK, "Ratelimit-Policy", c.policy, "Ratelimit", c.ietf, "X-Ratelimit-Limit", c.xlimit)
		do(t, h, "/").want(t, http.StatusTooManyRequests, "Ratelimit", c.ietf, "X-Ratelimit-Limit", c.xlimit, "Retry-After", "2")
	}
}

func testClientIP(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerSecond(1))
	h := newHandler(t, l)
	for _, c := range []struct {
		addr   string
		status int
	}{
		{"198.51.100.1:1000", http.StatusOK},
		{"198.51.100.1:2000", http.StatusTooManyRequests}, // same host, other port
		{"198.51.100.2:1000", http.StatusOK},
		{"[2001:db8::1]:1000", http.StatusOK},
		{"[2001:db8::2]:1000", http.StatusTooManyRequests}, // same /64
		{"[2001:db8:0:1::1]:1000", http.StatusOK},
		{"[::ffff:198.51.100.2]:1000", http.StatusTooManyRequests}, // IPv4-mapped
		// A client cannot choose its key through headers of its own.
		{"198.51.100.3:1000", http.StatusOK},
	} {
		do(t, h, "/", remote(c.addr), header("X-Forwarded-For", "203.0.113.9"), header("Forwarded", "for=203.0.113.8")).
			want(t, c.status)
	}
	do(t, h, "/", remote("198.51.100.3:1000"), header("X-Forwarded-For", "203.0.113.10")).
		want(t, http.StatusTooManyRequests)
}
