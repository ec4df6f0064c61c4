package httplimit_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	"github.com/gorate/ratelimit/adapters/nethttp/httplimittest"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// newStore returns a memory store.
func newStore(t testing.TB) *memorystore.Store {
	t.Helper()
	s, err := memorystore.New()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newLimiter returns a limiter over s (nil: a memory store of its own)
// configured by opts.
func newLimiter(t testing.TB, s ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	if s == nil {
		s = newStore(t)
	}
	l, err := ratelimit.New(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// get sends GET path from peer through h and returns the status.
func get(t *testing.T, h http.Handler, path, peer string) int {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	r.RemoteAddr = peer
	h.ServeHTTP(w, r)
	return w.Code
}

// TestPerRoute limits every request and one route more strictly, with two
// limiters sharing one store under prefixes of their own.
func TestPerRoute(t *testing.T) {
	s := newStore(t)
	all := newLimiter(t, s, ratelimit.PerMinute(3), ratelimit.WithPrefix("all:"))
	login := newLimiter(t, s, ratelimit.PerMinute(1), ratelimit.WithPrefix("login:"))
	var ran int
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran++ })
	mux := http.NewServeMux()
	mux.Handle("GET /a", ok)
	mux.Handle("GET /login", httplimit.Middleware(login)(ok))
	h := httplimit.Middleware(all)(mux)
	for i, c := range []struct {
		path string
		want int
	}{
		{"/login", 200}, {"/login", 429}, {"/a", 200}, {"/a", 429}, {"/login", 429},
	} {
		if got := get(t, h, c.path, "192.0.2.1:1"); got != c.want {
			t.Errorf("request %d, GET %s: %d, want %d", i, c.path, got, c.want)
		}
	}
	if ran != 2 {
		t.Errorf("the handler ran %d times, want 2 (never on a denial)", ran)
	}
}

func TestLimitByIP(t *testing.T) {
	httplimittest.RunLimitByIP(t, func(rates ...ratelimit.Rate) http.Handler {
		return httplimit.LimitByIP(rates...)(discard)
	})
}

// TestAllocs checks the goal of one allocation per admitted request beyond
// the handler's: the block holding the header values.
func TestAllocs(t *testing.T) {
	l := newLimiter(t, nil, ratelimit.PerSecond(1<<40))
	h := httplimit.Middleware(l)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, r) // create the key
	if n := testing.AllocsPerRun(1000, func() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}); n > 1 {
		t.Errorf("%v allocations per request, want at most 1", n)
	}
	skip := httplimit.Middleware(l, httplimit.WithSkip(func(httplimit.Request) bool { return true }))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	if n := testing.AllocsPerRun(1000, func() { skip.ServeHTTP(w, r) }); n > 0 {
		t.Errorf("%v allocations per skipped request, want none", n)
	}
}

// TestCheckAllocs checks that Check allocates nothing for the headers: here,
// with a key cut from RemoteAddr and a memory store, nothing at all.
func TestCheckAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are random under the race detector (sync.Pool drops items)")
	}
	e := httplimit.NewEngine(newLimiter(t, nil, ratelimit.PerSecond(1<<40)))
	r := httplimit.NewRequest(httptest.NewRequest(http.MethodGet, "/", nil))
	var n int
	setHeader := func(string, []byte) { n++ }
	e.Check(r, setHeader) // create the key
	n = 0
	if allocs := testing.AllocsPerRun(1000, func() { e.Check(r, setHeader) }); allocs > 0 {
		t.Errorf("%v allocations per Check, want none", allocs)
	}
	if n != 5*1001 { // AllocsPerRun runs once more to warm up
		t.Errorf("%d headers set in 1001 checks, want 5 each", n)
	}
	// Nor does it deciding in a buffer the request lends.
	lr := &lending{Request: r}
	n = 0
	if allocs := testing.AllocsPerRun(1000, func() { e.Check(lr, setHeader) }); allocs > 0 {
		t.Errorf("%v allocations per Check with a CheckBuffer, want none", allocs)
	}
	if n != 5*1001 {
		t.Errorf("%d headers set in 1001 checks with a CheckBuffer, want 5 each", n)
	}
}

// discardWriter is a ResponseWriter that keeps only its header map.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// TestCheck checks the engine an adapter with a response of its own uses:
// every header through setHeader, the pass, and the reply of a denial.
func TestCheck(t *testing.T) {
	s, err := memorystore.New(memorystore.WithClock(core.NewFakeClock(0)))
	if err != nil {
		t.Fatal(err)
	}
	e := httplimit.NewEngine(newLimiter(t, s, ratelimit.PerMinute(1)))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for i, want := range []struct {
		pass    bool
		headers string
		status  int
		body    string
	}{
		{true, `Ratelimit-Policy: "1/min";q=1;w=60|Ratelimit: "1/min";r=0;t=61|X-Ratelimit-Limit: 1|X-Ratelimit-Remaining: 0|X-Ratelimit-Reset: 61|`, 0, ""},
		{false, `Ratelimit-Policy: "1/min";q=1;w=60|Ratelimit: "1/min";r=0;t=61|X-Ratelimit-Limit: 1|X-Ratelimit-Remaining: 0|X-Ratelimit-Reset: 61|Retry-After: 61|X-Content-Type-Options: nosniff|`, 429, "rate limit exceeded\n"},
	} {
		var headers strings.Builder
		pass, reply, _ := e.Check(httplimit.NewRequest(r), func(name string, value []byte) { headers.WriteString(name + ": " + string(value) + "|") })
		if pass != want.pass || headers.String() != want.headers || reply.Status != want.status || string(reply.Body) != want.body {
			t.Errorf("request %d: pass %v, headers %s, reply %d %q; want %v, %s, %d %q",
				i, pass, headers.String(), reply.Status, reply.Body, want.pass, want.headers, want.status, want.body)
		}
	}
}

// discard answers "ok", as the handler of the benchmarks.
var discard = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
