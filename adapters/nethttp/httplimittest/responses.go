package httplimittest

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// Answer is what the handler of GET /reply answers, read from the
// request's query by [ParseAnswer]: each adapter's test writes it through
// its framework's own response API.
type Answer struct {
	Status int    // query status; 0: write no status
	Body   []byte // query size, that many bytes; nil: write no body
	Units  string // query units, the X-Units response header; "": none
	Stream bool   // query stream: stream Body, flushing (net/http, gin, echo: in two flushed halves; fiber: SendStream)
	Error  bool   // query error: return the framework's error of Status instead of writing (echo, fiber; net/http and gin write Status)
	Panic  bool   // query panic: panic before writing anything
}

// ParseAnswer returns the Answer that query, a request's query parameter
// lookup, asks of GET /reply.
func ParseAnswer(query func(name string) string) Answer {
	a := Answer{Units: query("units"), Stream: query("stream") != "", Error: query("error") != "", Panic: query("panic") != ""}
	a.Status, _ = strconv.Atoi(query("status"))
	if size, err := strconv.Atoi(query("size")); err == nil {
		a.Body = []byte(strings.Repeat("x", size))
	}
	return a
}

// kib is a response cost: the KiB written, rounded up.
func kib(_ httplimit.Request, resp httplimit.Response) (int64, error) {
	return (resp.Written() + 1023) / 1024, nil
}

// units is a response cost: the X-Units header the handler set.
func units(_ httplimit.Request, resp httplimit.Response) (int64, error) {
	return strconv.ParseInt(resp.Header("X-Units"), 10, 64)
}

// one is an up-front cost of 1, the default but with WithResponseCost.
func one(httplimit.Request) (int64, error) { return 1, nil }

// settleSpy is a memory store that counts the settlements asked of it and
// those whose context was live and bounded; when down, its takes fail.
type settleSpy struct {
	*memorystore.Store
	down          bool
	cancel        context.CancelFunc // when set, called after each take
	settles, live atomic.Int64
}

func (s *settleSpy) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	if s.down {
		return ratelimit.Decision{}, errors.New("store down")
	}
	d, err := s.Store.Take(ctx, key, rates, n)
	if s.cancel != nil {
		s.cancel()
	}
	return d, err
}

func (s *settleSpy) Refund(ctx context.Context, key string, rates ratelimit.Rates, taken ratelimit.Decision, n int64) (ratelimit.Decision, error) {
	s.count(ctx)
	return s.Store.Refund(ctx, key, rates, taken, n)
}

func (s *settleSpy) Charge(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	s.count(ctx)
	return s.Store.Charge(ctx, key, rates, n)
}

func (s *settleSpy) count(ctx context.Context) {
	s.settles.Add(1)
	if _, bounded := ctx.Deadline(); bounded && ctx.Err() == nil {
		s.live.Add(1)
	}
}

// testCountOnlyFailed is the judged case: counting only failed responses
// against 3/min, 100 successes (half of them writing nothing) all pass,
// then 3 failures pass, and the request after them is denied.
func testCountOnlyFailed(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerMinute(3))
	h := newHandler(t, l, httplimit.WithCountIf(httplimit.Failed))
	for i := range 100 {
		path := "/reply?status=200&size=2"
		if i%2 == 1 {
			path = "/reply" // writes nothing: a 200
		}
		if r := do(t, h, path); r.status != http.StatusOK {
			t.Fatalf("success %d: status %d, want 200", i+1, r.status)
		}
	}
	for _, q := range []string{"status=500", "status=404&size=10", "status=503&error=1"} {
		do(t, h, "/reply?"+q).want(t, statusOf(q))
	}
	do(t, h, "/reply?status=200").want(t, http.StatusTooManyRequests, "Retry-After", "61")
}

// statusOf returns the status query parameter of query q.
func statusOf(q string) int {
	_, s, _ := strings.Cut(q, "status=")
	n, _ := strconv.Atoi(strings.SplitN(s, "&", 2)[0])
	return n
}

// testCountOnlySucceeded checks Succeeded, a handler's returned error and
// a panic among the failures, and that a denial is never refunded (a 429 is
// a failure, but took nothing).
func testCountOnlySucceeded(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerMinute(2))
	h := newHandler(t, l, httplimit.WithCountIf(httplimit.Succeeded))
	for _, q := range []string{"status=500", "status=503&error=1", "status=400&size=3"} {
		do(t, h, "/reply?"+q).want(t, statusOf(q))
	}
	doPanic(t, h, "/reply?panic=1")
	do(t, h, "/reply?status=201").want(t, http.StatusCreated, "X-Ratelimit-Remaining", "1")
	do(t, h, "/reply?size=1&stream=1").want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	for range 3 {
		do(t, h, "/reply?status=200").want(t, http.StatusTooManyRequests)
	}
}

// doPanic sends GET path through h, whose handler panics: the panic goes
// on through the middleware.
func doPanic(t *testing.T, h http.Handler, path string) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("GET %s: the handler's panic did not reach the caller", path)
		}
	}()
	do(t, h, path)
}

// testResponseSize is the judged case: a response cost of 10 KiB against
// 100 KiB/min (a cost per KiB, paid once the response is known: nothing
// up front by default) serves 11 responses, the 11th overdrawing, and
// denies the 11th's successor until the excess has expired.
func testResponseSize(t *testing.T, newHandler server) {
	l, clock := newLimiter(t, ratelimit.PerMinute(100))
	h := newHandler(t, l, httplimit.WithResponseCost(kib))
	for i := range 11 {
		r := do(t, h, "/reply?size=10240")
		r.want(t, http.StatusOK, "X-Ratelimit-Remaining", strconv.Itoa(100-10*i))
		if len(r.body) != 10240 {
			t.Fatalf("response %d: %d bytes, want 10240", i+1, len(r.body))
		}
	}
	do(t, h, "/reply?size=10240").want(t, http.StatusTooManyRequests, "Retry-After", "61")
	clock.Advance(60 * time.Second)
	do(t, h, "/reply").want(t, http.StatusTooManyRequests, "Retry-After", "1")
	clock.Advance(time.Millisecond)
	do(t, h, "/reply").want(t, http.StatusOK, "X-Ratelimit-Remaining", "100")
}

// testCountIfConcurrent checks that the requests WithCountIf lets through
// are taken up front: of 40 concurrent failing requests against 10/min, 10
// are served and 30 denied.
func testCountIfConcurrent(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerMinute(10))
	h := newHandler(t, l, httplimit.WithCountIf(httplimit.Failed))
	failed, denied := concurrently(t, h, "/reply?status=500", http.StatusInternalServerError)
	if failed != 10 || denied != 30 {
		t.Errorf("40 concurrent failing requests at 10/min: %d served, %d denied; want 10 and 30", failed, denied)
	}
}

// testResponseCost checks a response cost from a header the handler set,
// against the request's cost up front: the difference is refunded or
// charged; a streamed body and a handler that writes nothing are costed by
// what they wrote.
func testResponseCost(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerMinute(10))
	h := newHandler(t, l, httplimit.WithCost(costHeader), httplimit.WithResponseCost(units))
	cost := func(n string) func(*http.Request) { return header("X-Cost", n) }
	do(t, h, "/reply?units=2", cost("5")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "5", "X-Units", "2") // 3 refunded
	do(t, h, "/reply?units=4", cost("1")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "7")                 // 3 charged
	do(t, h, "/reply?units=4", cost("4")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	do(t, h, "/reply?units=0", cost("0")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	do(t, h, "/reply?units=1", cost("1")).want(t, http.StatusTooManyRequests)

	l, _ = newLimiter(t, ratelimit.PerMinute(3))
	h = newHandler(t, l, httplimit.WithResponseCost(kib)) // nothing up front
	do(t, h, "/reply").want(t, http.StatusOK)             // writes nothing: 0 KiB
	do(t, h, "/reply?size=2048&stream=1").want(t, http.StatusOK, "X-Ratelimit-Remaining", "3")
	do(t, h, "/reply").want(t, http.StatusOK, "X-Ratelimit-Remaining", "1")
}

// testNotSettled checks that a request skipped, denied, failed open or not
// counted by its response's status under a cost of 1 settles nothing.
func testNotSettled(t *testing.T, newHandler server) {
	s, _ := fakeStore(t)
	spy := &settleSpy{Store: s}
	l := limiter(t, spy, ratelimit.PerMinute(1))
	skip := httplimit.WithSkip(func(r httplimit.Request) bool { return r.Path() == "/" })
	h := newHandler(t, l, skip, httplimit.WithCost(one), httplimit.WithCountIf(httplimit.Succeeded), httplimit.WithResponseCost(kib))
	do(t, h, "/").want(t, http.StatusOK)
	do(t, h, "/reply?status=200&size=1").want(t, http.StatusOK) // counted, 1 KiB: cost as taken
	do(t, h, "/reply?status=500").want(t, http.StatusTooManyRequests)
	down := &settleSpy{Store: s, down: true}
	open := limiter(t, down, ratelimit.PerMinute(1), ratelimit.WithFailOpen())
	do(t, newHandler(t, open, httplimit.WithCountIf(httplimit.Succeeded)), "/reply?status=500").want(t, http.StatusInternalServerError)
	if n := spy.settles.Load() + down.settles.Load(); n != 0 {
		t.Errorf("%d settlements, want none", n)
	}
}

// testSettleContext checks that a settlement runs under a context the
// request's cancellation does not end, and that is bounded.
func testSettleContext(t *testing.T, newHandler server) {
	s, _ := fakeStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	spy := &settleSpy{Store: s, cancel: cancel}
	l := limiter(t, spy, ratelimit.PerMinute(1))
	h := newHandler(t, l, httplimit.WithCountIf(httplimit.Failed))
	do(t, h, "/reply?status=200", withContext(ctx)).want(t, http.StatusOK)
	if spy.live.Load() != 1 || spy.settles.Load() != 1 {
		t.Errorf("%d settlements, %d under a live context with a deadline; want 1 and 1", spy.settles.Load(), spy.live.Load())
	}
	do(t, h, "/reply?status=200").want(t, http.StatusOK) // refunded
}

// testSettleFailures checks that a response cost's error, a negative one,
// and a charge the store refuses (above the smallest limit) go to the
// error hook and settle nothing: the unit taken up front stays taken.
func testSettleFailures(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerMinute(5))
	var invalid []bool // each error the hook saw: whether it wraps ErrInvalidArgument
	h := newHandler(t, l, httplimit.WithCost(one), httplimit.WithResponseCost(units), httplimit.WithErrorHook(func(_ httplimit.Request, err error) {
		invalid = append(invalid, errors.Is(err, ratelimit.ErrInvalidArgument))
	}))
	do(t, h, "/reply?units=x").want(t, http.StatusOK, "X-Ratelimit-Remaining", "4")
	do(t, h, "/reply?units=-1").want(t, http.StatusOK, "X-Ratelimit-Remaining", "3")
	do(t, h, "/reply?units=7").want(t, http.StatusOK, "X-Ratelimit-Remaining", "2")
	do(t, h, "/reply?units=1").want(t, http.StatusOK, "X-Ratelimit-Remaining", "1")
	if want := []bool{false, true, true}; !slices.Equal(invalid, want) {
		t.Errorf("the error hook saw errors wrapping ErrInvalidArgument %v, want %v", invalid, want)
	}
}

// testNoSettler checks that the response options are refused when the
// middleware is built over a store that cannot refund and charge.
func testNoSettler(t *testing.T, newHandler server) {
	l := limiter(t, failingStore{}, ratelimit.PerSecond(1))
	for _, opt := range []httplimit.Option{
		httplimit.WithCountIf(httplimit.Failed),
		httplimit.WithResponseCost(kib),
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "httplimit: ") || !strings.Contains(msg, "ratelimit.Settler") {
					t.Errorf("a store without Settler: panic %q, want one naming ratelimit.Settler", msg)
				}
			}()
			newHandler(t, l, opt)
		}()
	}
}

// testResponseSeen pins what WithCountIf's predicate sees of each response,
// alike in every adapter.
func testResponseSeen(t *testing.T, newHandler server) {
	type seen struct {
		status int
		size   int64
		units  string
	}
	var got seen
	l, _ := newLimiter(t, ratelimit.PerSecond(100))
	h := newHandler(t, l, httplimit.WithCountIf(func(_ httplimit.Request, resp httplimit.Response) bool {
		got = seen{resp.Status(), resp.Written(), resp.Header("X-Units")}
		return true
	}))
	for _, c := range []struct {
		query string
		want  seen
	}{
		{"", seen{200, 0, ""}}, // writes nothing
		{"status=404&size=5&units=3", seen{404, 5, "3"}},
		{"status=503&error=1", seen{503, 0, ""}},
		{"size=2048&stream=1", seen{200, 2048, ""}},
		{"panic=1", seen{500, 0, ""}},
	} {
		got = seen{}
		if c.want.status == 500 {
			doPanic(t, h, "/reply?"+c.query)
		} else {
			do(t, h, "/reply?"+c.query)
		}
		if got != c.want {
			t.Errorf("GET /reply?%s: seen as %+v, want %+v", c.query, got, c.want)
		}
	}
}
