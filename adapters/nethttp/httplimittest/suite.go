package httplimittest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// Run runs every case against the adapter h describes.
func Run(t *testing.T, h Harness) {
	t.Helper()
	for _, c := range []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"AllowedThenDenied", testAllowedThenDenied},
		{"SeveralRates", testSeveralRates},
		{"JSONBody", testJSONBody},
		{"Cost", testCost},
		{"Skip", testSkip},
		{"KeyHeader", testKeyHeader},
		{"Route", testRoute},
		{"StoreFailure", testStoreFailure},
		{"Wait", testWait},
		{"Concurrent", testConcurrent},
		{"HeaderModes", testHeaderModes},
		{"DeniedFunc", testDeniedFunc},
		{"ClientIP", testClientIP},
		{"PerRoute", testPerRoute},
		{"SpoofedForwarding", testSpoofedForwarding},
		{"Unkeyable", testUnkeyable},
		{"BadCost", testBadCost},
		{"ContextEnds", testContextEnds},
		{"NilOptions", testNilOptions},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, h) })
	}
}

// start is the fake clock's first reading in every case.
const start = 1_000_000

// FakeLimiter returns a limiter over a memory store enforcing rates with a
// fake clock, closed at t's cleanup: what an adapter's own tests need to
// check headers exactly.
func FakeLimiter(t testing.TB, rates ...ratelimit.Rate) (*ratelimit.Limiter, *ratelimit.FakeClock) {
	t.Helper()
	clock := ratelimit.NewFakeClock(start)
	s, err := memorystore.New(rates, memorystore.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	l, err := ratelimit.New(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, clock
}

// Recorder serves requests through h with an httptest.ResponseRecorder: the
// Serve of every adapter whose framework is an http.Handler.
func Recorder(h http.Handler) Serve {
	return func(r *http.Request) *http.Response {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
}

// response is what a case checks of one response.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends GET path through serve, after applying mods to the request
// (RemoteAddr 192.0.2.1:1234 unless a mod changes it).
func do(t *testing.T, serve Serve, path string, mods ...func(*http.Request)) response {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	req.RemoteAddr = "192.0.2.1:1234"
	for _, m := range mods {
		m(req)
	}
	res := serve(req)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return response{res.StatusCode, res.Header, string(body)}
}

func header(name, value string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

func remote(addr string) func(*http.Request) {
	return func(r *http.Request) { r.RemoteAddr = addr }
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

// A window of 1 s counts units stamped at now-1000 ms too, so a put at
// time T leaves the window at T+1001 ms: reset and retry-after are 1001 ms,
// 2 s in delta-seconds rounded up.
func testAllowedThenDenied(t *testing.T, h Harness) {
	l, clock := FakeLimiter(t, ratelimit.PerSecond(3))
	serve := h.New(t, l)
	for i, left := range []string{"2", "1", "0"} {
		r := do(t, serve, "/")
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
	r := do(t, serve, "/")
	r.want(t, http.StatusTooManyRequests,
		"Ratelimit", `"3/s";r=0;t=2`,
		"X-Ratelimit-Remaining", "0",
		"Retry-After", "2",
		"Content-Type", "text/plain; charset=utf-8",
		"X-Content-Type-Options", "nosniff")
	if r.body != "rate limit exceeded\n" {
		t.Errorf("429 body %q", r.body)
	}
	clock.Advance(1000 * time.Millisecond)
	do(t, serve, "/").want(t, http.StatusTooManyRequests, "Retry-After", "1")
	clock.Advance(time.Millisecond)
	do(t, serve, "/").want(t, http.StatusOK, "X-Ratelimit-Remaining", "2")
}

func testSeveralRates(t *testing.T, h Harness) {
	l, clock := FakeLimiter(t, ratelimit.PerSecond(2), ratelimit.PerMinute(3))
	serve := h.New(t, l)
	policy := `"2/s";q=2;w=1, "3/min";q=3;w=60`
	do(t, serve, "/").want(t, http.StatusOK, "Ratelimit-Policy", policy, "Ratelimit", `"2/s";r=1;t=2`)
	do(t, serve, "/").want(t, http.StatusOK, "Ratelimit", `"2/s";r=0;t=2`, "X-Ratelimit-Limit", "2")
	// Denied by the per-second rate, the first full one.
	do(t, serve, "/").want(t, http.StatusTooManyRequests, "Ratelimit", `"2/s";r=0;t=2`, "Retry-After", "2")
	clock.Advance(1001 * time.Millisecond)
	// The per-minute rate is now the tightest: it has no unit left.
	do(t, serve, "/").want(t, http.StatusOK, "Ratelimit", `"3/min";r=0;t=61`, "X-Ratelimit-Limit", "3")
	// Denied by the per-minute rate: the oldest unit leaves its window at
	// start+60001 ms, 59000 ms from now.
	do(t, serve, "/").want(t, http.StatusTooManyRequests,
		"Ratelimit-Policy", policy,
		"Ratelimit", `"3/min";r=0;t=61`,
		"X-Ratelimit-Remaining", "0",
		"X-Ratelimit-Reset", "61",
		"Retry-After", "59")
}

func testJSONBody(t *testing.T, h Harness) {
	l, _ := FakeLimiter(t, ratelimit.PerSecond(1))
	serve := h.New(t, l)
	accept := header("Accept", "text/html, application/json;q=0.9")
	do(t, serve, "/", accept).want(t, http.StatusOK)
	r := do(t, serve, "/", accept)
	r.want(t, http.StatusTooManyRequests, "Content-Type", "application/json", "Retry-After", "2")
	if want := `{"error":"rate limit exceeded","retry_after":2}` + "\n"; r.body != want {
		t.Errorf("body %q, want %q", r.body, want)
	}
}

func testCost(t *testing.T, h Harness) {
	l, _ := FakeLimiter(t, ratelimit.PerSecond(5))
	serve := h.New(t, l, httplimit.WithCost(func(r httplimit.Request) (int64, error) {
		return strconv.ParseInt(r.Header("X-Cost"), 10, 64)
	}))
	cost := func(n string) func(*http.Request) { return header("X-Cost", n) }
	do(t, serve, "/", cost("3")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "2")
	do(t, serve, "/", cost("3")).want(t, http.StatusTooManyRequests, "X-Ratelimit-Remaining", "2")
	do(t, serve, "/", cost("2")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	do(t, serve, "/", cost("0")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	do(t, serve, "/", cost("6")).want(t, http.StatusTooManyRequests, "Retry-After", "")
	for _, bad := range []string{"x", "-1", ""} {
		do(t, serve, "/", cost(bad)).want(t, http.StatusBadRequest, "Ratelimit", "", "Retry-After", "")
	}
}

func testSkip(t *testing.T, h Harness) {
	l, _ := FakeLimiter(t, ratelimit.PerSecond(1))
	serve := h.New(t, l, httplimit.WithSkip(func(r httplimit.Request) bool { return r.Path() == "/" }))
	for range 5 {
		do(t, serve, "/").want(t, http.StatusOK, "Ratelimit", "", "X-Ratelimit-Limit", "")
	}
	do(t, serve, "/r/1").want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	do(t, serve, "/r/1").want(t, http.StatusTooManyRequests)
}

func testKeyHeader(t *testing.T, h Harness) {
	l, _ := FakeLimiter(t, ratelimit.PerSecond(1))
	serve := h.New(t, l, httplimit.WithKey(httplimit.Header("X-User")))
	do(t, serve, "/", header("X-User", "ann")).want(t, http.StatusOK)
	do(t, serve, "/", header("X-User", "ann")).want(t, http.StatusTooManyRequests)
	do(t, serve, "/", header("X-User", "bob")).want(t, http.StatusOK)
	// No key: the client's fault, never a bucket shared by keyless requests.
	r := do(t, serve, "/")
	r.want(t, http.StatusBadRequest, "Ratelimit", "", "Retry-After", "", "X-Content-Type-Options", "nosniff")
	if r.body != "request cannot be rate limited\n" {
		t.Errorf("400 body %q", r.body)
	}
}

func testRoute(t *testing.T, h Harness) {
	l, _ := FakeLimiter(t, ratelimit.PerSecond(2))
	serve := h.New(t, l, httplimit.WithKey(httplimit.Route()))
	do(t, serve, "/r/1").want(t, http.StatusOK)
	do(t, serve, "/r/2").want(t, http.StatusOK)
	do(t, serve, "/r/3").want(t, http.StatusTooManyRequests) // one route, one limit
	do(t, serve, "/").want(t, http.StatusOK)
}

// failingFactory is a store that is down: every acquire fails with err, or,
// when block is set, waits for the context to end.
type failingFactory struct {
	err   error
	block bool
}

func (f failingFactory) Acquire(ctx context.Context, _ string, _ int64) (ratelimit.Decision, error) {
	if f.block {
		<-ctx.Done()
		return ratelimit.Decision{}, context.Cause(ctx)
	}
	return ratelimit.Decision{}, f.err
}

func (f failingFactory) Bucket(context.Context, string) (ratelimit.Bucket, error) {
	return nil, f.err
}

func (failingFactory) Close() error { return nil }

// failingLimiter returns a limiter over f, closed at t's cleanup.
func failingLimiter(t *testing.T, f ratelimit.Factory) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func testStoreFailure(t *testing.T, h Harness) {
	down := errors.New("store down")
	l := failingLimiter(t, failingFactory{err: down})
	var hooked atomic.Int64
	hook := httplimit.WithErrorHook(func(_ httplimit.Request, err error) {
		if errors.Is(err, down) {
			hooked.Add(1)
		}
	})
	do(t, h.New(t, l, hook), "/").want(t, http.StatusServiceUnavailable, "Ratelimit", "", "Retry-After", "")
	do(t, h.New(t, l, hook, httplimit.WithFailOpen()), "/").want(t, http.StatusOK, "Ratelimit", "")
	if hooked.Load() != 2 {
		t.Errorf("error hook saw %d store errors, want 2", hooked.Load())
	}
}

// testWait runs on the real clock with short intervals: a request that fits
// after a short wait is held and admitted; one that would wait longer than
// the maximum is denied at once.
func testWait(t *testing.T, h Harness) {
	l, err := memorystore.NewLimiter([]ratelimit.Rate{ratelimit.Per(1, 50*time.Millisecond)}, ratelimit.WithBuffer(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	serve := h.New(t, l, httplimit.WithWait(5*time.Second))
	for range 3 {
		do(t, serve, "/").want(t, http.StatusOK)
	}
	l2, _ := FakeLimiter(t, ratelimit.PerMinute(1))
	serve = h.New(t, l2, httplimit.WithWait(time.Second))
	do(t, serve, "/").want(t, http.StatusOK)
	do(t, serve, "/").want(t, http.StatusTooManyRequests, "Retry-After", "61")
}

func testConcurrent(t *testing.T, h Harness) {
	l, _ := FakeLimiter(t, ratelimit.PerSecond(10))
	serve := h.New(t, l)
	var wg sync.WaitGroup
	var ok, denied atomic.Int64
	for range 40 {
		wg.Go(func() {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			req.RemoteAddr = "192.0.2.1:1234"
			res := serve(req)
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			switch res.StatusCode {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusTooManyRequests:
				denied.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 10 || denied.Load() != 30 {
		t.Errorf("40 concurrent requests at 10/s: %d admitted, %d denied; want 10 and 30", ok.Load(), denied.Load())
	}
}

func testHeaderModes(t *testing.T, h Harness) {
	for _, c := range []struct {
		mode         httplimit.HeaderMode
		ietf, xlimit string
	}{
		{httplimit.HeadersNone, "", ""},
		{httplimit.HeadersIETF, `"1/s";r=0;t=2`, ""},
		{httplimit.HeadersXRateLimit, "", "1"},
	} {
		l, _ := FakeLimiter(t, ratelimit.PerSecond(1))
		serve := h.New(t, l, httplimit.WithHeaders(c.mode))
		do(t, serve, "/").want(t, http.StatusOK, "Ratelimit", c.ietf, "X-Ratelimit-Limit", c.xlimit)
		do(t, serve, "/").want(t, http.StatusTooManyRequests, "Ratelimit", c.ietf, "X-Ratelimit-Limit", c.xlimit, "Retry-After", "2")
	}
}

func testDeniedFunc(t *testing.T, h Harness) {
	l, _ := FakeLimiter(t, ratelimit.PerSecond(1))
	serve := h.New(t, l, httplimit.WithDenied(func(r httplimit.Request, d ratelimit.Decision) httplimit.Reply {
		return httplimit.Reply{ContentType: "text/html", Body: []byte("<p>slow down, " + r.Path() + " " + d.Rate.String() + "</p>")}
	}))
	do(t, serve, "/r/7").want(t, http.StatusOK)
	r := do(t, serve, "/r/7")
	r.want(t, http.StatusTooManyRequests, "Content-Type", "text/html", "Retry-After", "2", "X-Ratelimit-Limit", "1")
	if r.body != "<p>slow down, /r/7 1/s</p>" {
		t.Errorf("body %q", r.body)
	}
}

func testClientIP(t *testing.T, h Harness) {
	if h.NoRemoteAddr {
		t.Skip("the adapter's test mode does not carry a request's RemoteAddr")
	}
	l, _ := FakeLimiter(t, ratelimit.PerSecond(1))
	serve := h.New(t, l)
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
		do(t, serve, "/", remote(c.addr), header("X-Forwarded-For", "203.0.113.9"), header("Forwarded", "for=203.0.113.8")).
			want(t, c.status)
	}
	do(t, serve, "/", remote("198.51.100.3:1000"), header("X-Forwarded-For", "203.0.113.10")).
		want(t, http.StatusTooManyRequests)
}

// testPerRoute runs a global limit and a stricter one on one route: both
// apply to that route (the inner one's headers win), only the global one to
// the others, and a denied request never reaches the handler.
func testPerRoute(t *testing.T, h Harness) {
	if h.NewPerRoute == nil {
		t.Skip("httplimittest: Harness.NewPerRoute not set")
	}
	global, _ := FakeLimiter(t, ratelimit.PerSecond(3))
	route, _ := FakeLimiter(t, ratelimit.PerSecond(1))
	serve := h.NewPerRoute(t, global, route)
	for i, c := range []struct {
		path   string
		status int
		limit  string // X-Ratelimit-Limit: the limit that answered last
	}{
		{"/r/1", http.StatusOK, "1"},
		{"/r/1", http.StatusTooManyRequests, "1"}, // the route's limit denies; the global one counted it
		{"/", http.StatusOK, "3"},                 // the global limit's third unit
		{"/", http.StatusTooManyRequests, "3"},
		{"/r/1", http.StatusTooManyRequests, "3"}, // the global limit denies before the route's runs
	} {
		r := do(t, serve, c.path)
		r.want(t, c.status, "X-Ratelimit-Limit", c.limit)
		if ran := r.body == "ok"; ran != (c.status == http.StatusOK) {
			t.Errorf("request %d, GET %s: status %d, body %q: the handler ran on a denial or not on a pass", i, c.path, r.status, r.body)
		}
	}
}
