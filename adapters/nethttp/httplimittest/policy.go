package httplimittest

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// testUnkeyable checks that a request the key function cannot key is the
// client's fault, fail-open or not: 400, the handler not run, the error
// hook told.
func testUnkeyable(t *testing.T, h Harness) {
	for _, failOpen := range []bool{false, true} {
		l, _ := FakeLimiter(t, ratelimit.PerSecond(1))
		var hooked atomic.Int64
		opts := []httplimit.Option{
			httplimit.WithKey(httplimit.Header("X-User")),
			httplimit.WithErrorHook(func(_ httplimit.Request, err error) {
				if errors.Is(err, httplimit.ErrEmptyKey) {
					hooked.Add(1)
				}
			}),
		}
		if failOpen {
			opts = append(opts, httplimit.WithFailOpen())
		}
		serve := h.New(t, l, opts...)
		for range 3 {
			r := do(t, serve, "/")
			r.want(t, http.StatusBadRequest, "Ratelimit", "", "Retry-After", "", "X-Content-Type-Options", "nosniff")
			if r.body != "request cannot be rate limited\n" {
				t.Errorf("fail-open %v: 400 body %q", failOpen, r.body)
			}
		}
		do(t, serve, "/", header("X-User", "ann")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
		do(t, serve, "/", header("X-User", "ann")).want(t, http.StatusTooManyRequests)
		if hooked.Load() != 3 {
			t.Errorf("fail-open %v: the error hook saw %d ErrEmptyKey errors, want 3", failOpen, hooked.Load())
		}
	}
	// A reply of one's own; a zero Status means 400.
	for _, status := range []int{0, http.StatusUnauthorized} {
		l, _ := FakeLimiter(t, ratelimit.PerSecond(1))
		serve := h.New(t, l, httplimit.WithKey(httplimit.Header("X-User")), httplimit.WithFailOpen(),
			httplimit.WithBadRequest(func(r httplimit.Request, err error) httplimit.Reply {
				return httplimit.Reply{Status: status, ContentType: "text/html", Body: []byte("<p>" + r.Path() + ": " + err.Error() + "</p>")}
			}))
		r := do(t, serve, "/r/1")
		r.want(t, max(status, http.StatusBadRequest), "Content-Type", "text/html", "X-Content-Type-Options", "nosniff")
		if want := "<p>/r/1: ratelimit: empty key: no X-User header</p>"; r.body != want {
			t.Errorf("WithBadRequest: body %q, want %q", r.body, want)
		}
	}
}

// testBadCost checks that a cost function's error or negative cost (a
// chunked body's ContentLength is -1) is the client's fault, fail-open or
// not.
func testBadCost(t *testing.T, h Harness) {
	l, _ := FakeLimiter(t, ratelimit.PerSecond(5))
	serve := h.New(t, l, httplimit.WithFailOpen(), httplimit.WithCost(func(r httplimit.Request) (int64, error) {
		return strconv.ParseInt(r.Header("X-Cost"), 10, 64)
	}))
	for _, bad := range []string{"-1", "x", ""} {
		r := do(t, serve, "/", header("X-Cost", bad), header("Accept", "application/json"))
		r.want(t, http.StatusBadRequest, "Ratelimit", "", "Content-Type", "application/json")
		if want := `{"error":"request cannot be rate limited"}` + "\n"; r.body != want {
			t.Errorf("cost %q: body %q, want %q", bad, r.body, want)
		}
	}
	do(t, serve, "/", header("X-Cost", "5")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
}

// cancelOnDenial is a store that cancels the request's context whenever
// it denies: the request is then mid-wait, between the denial and its
// retry.
type cancelOnDenial struct {
	ratelimit.Factory
	cancel context.CancelFunc
}

func (f cancelOnDenial) Acquire(ctx context.Context, name string, n int64) (ratelimit.Decision, error) {
	d, err := f.Factory.Acquire(ctx, name, n)
	if err == nil && !d.Allowed {
		f.cancel()
	}
	return d, err
}

// testWaitCancelled checks that a request whose client goes away while it
// waits for the limit is never run, fail-open or not: the limiter did not
// admit it.
func testWaitCancelled(t *testing.T, h Harness) {
	if h.NoContext {
		t.Skip("the adapter's test mode does not carry a request's context")
	}
	for _, failOpen := range []bool{false, true} {
		ctx, cancel := context.WithCancel(t.Context())
		s, err := memorystore.New([]ratelimit.Rate{ratelimit.PerMinute(1)}, memorystore.WithClock(ratelimit.NewFakeClock(start)))
		if err != nil {
			t.Fatal(err)
		}
		l, err := ratelimit.New(cancelOnDenial{s, cancel})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		opts := []httplimit.Option{httplimit.WithWait(2 * time.Minute)}
		if failOpen {
			opts = append(opts, httplimit.WithFailOpen())
		}
		serve := h.New(t, l, opts...)
		do(t, serve, "/").want(t, http.StatusOK)
		r := do(t, serve, "/", func(r *http.Request) { *r = *r.WithContext(ctx) })
		r.want(t, 499, "Ratelimit", "", "X-Content-Type-Options", "nosniff")
		if r.body == "ok" {
			t.Errorf("fail-open %v: the handler ran for a request whose client left mid-wait", failOpen)
		}
		cancel()
	}
}

// testFailOpenDeadline checks that under fail-open a request whose own
// deadline ends the store call is not run: 503, as when failing closed.
func testFailOpenDeadline(t *testing.T, h Harness) {
	if h.NoContext {
		t.Skip("the adapter's test mode does not carry a request's context")
	}
	l := failingLimiter(t, failingFactory{block: true})
	serve := h.New(t, l, httplimit.WithFailOpen())
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	r := do(t, serve, "/", func(r *http.Request) { *r = *r.WithContext(ctx) })
	r.want(t, http.StatusServiceUnavailable)
	if r.body == "ok" {
		t.Error("the handler ran for a request whose deadline ended the store call")
	}
}

// testNilOptions checks that a nil limiter, option or function is refused
// when the middleware is built, with a panic naming it, rather than on
// every request.
func testNilOptions(t *testing.T, h Harness) {
	l, _ := FakeLimiter(t, ratelimit.PerSecond(1))
	for _, c := range []struct {
		name  string
		build func()
	}{
		{"limiter", func() { h.New(t, nil) }},
		{"Option", func() { h.New(t, l, nil) }},
		{"WithKey", func() { h.New(t, l, httplimit.WithKey(nil)) }},
		{"WithCost", func() { h.New(t, l, httplimit.WithCost(nil)) }},
		{"WithSkip", func() { h.New(t, l, httplimit.WithSkip(nil)) }},
		{"WithDenied", func() { h.New(t, l, httplimit.WithDenied(nil)) }},
		{"WithErrorHook", func() { h.New(t, l, httplimit.WithErrorHook(nil)) }},
		{"WithBadRequest", func() { h.New(t, l, httplimit.WithBadRequest(nil)) }},
		{"ClientIP", func() { h.New(t, l, httplimit.WithKey(httplimit.ClientIP(nil))) }},
		{"Join", func() { h.New(t, l, httplimit.WithKey(httplimit.Join(httplimit.Method(), nil))) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "httplimit: ") || !strings.Contains(msg, c.name) {
					t.Errorf("building the middleware with a nil %s: panic %q, want one naming it", c.name, msg)
				}
			}()
			c.build()
		})
	}
}
