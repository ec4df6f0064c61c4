package httplimittest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
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

// cancelling is a store that cancels the request's context during an
// acquire: before asking its inner store when early is set (the client
// leaves during the store call), else after a denial (the client leaves
// mid-wait, between the denial and its retry).
type cancelling struct {
	ratelimit.Factory
	cancel context.CancelFunc
	early  bool
}

func (f cancelling) Acquire(ctx context.Context, name string, n int64) (ratelimit.Decision, error) {
	if f.early {
		f.cancel()
	}
	d, err := f.Factory.Acquire(ctx, name, n)
	if err == nil && !d.Allowed {
		f.cancel()
	}
	return d, err
}

// testContextEnds checks that a request whose own context ends before the
// limiter admits it is never run, fail-open or not: 499 when its client
// leaves (the context is cancelled) mid-wait or during the store call, 503
// when its deadline ends the store call.
func testContextEnds(t *testing.T, h Harness) {
	if h.NoContext {
		t.Skip("the adapter's test mode does not carry a request's context")
	}
	for _, failOpen := range []bool{false, true} {
		for _, c := range []struct {
			name   string
			status int
			wait   bool // WithWait, after a request that spends the limit
			// limiter returns the limiter, and the context of the request
			// to check.
			limiter func(t *testing.T) (*ratelimit.Limiter, context.Context)
		}{
			{"client leaves mid-wait", 499, true, func(t *testing.T) (*ratelimit.Limiter, context.Context) {
				ctx, cancel := context.WithCancel(t.Context())
				s, err := memorystore.New([]ratelimit.Rate{ratelimit.PerMinute(1)}, memorystore.WithClock(ratelimit.NewFakeClock(start)))
				if err != nil {
					t.Fatal(err)
				}
				return failingLimiter(t, cancelling{Factory: s, cancel: cancel}), ctx
			}},
			{"client leaves during the store call", 499, false, func(t *testing.T) (*ratelimit.Limiter, context.Context) {
				ctx, cancel := context.WithCancel(t.Context())
				return failingLimiter(t, cancelling{Factory: failingFactory{block: true}, cancel: cancel, early: true}), ctx
			}},
			{"deadline ends the store call", http.StatusServiceUnavailable, false, func(t *testing.T) (*ratelimit.Limiter, context.Context) {
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
				t.Cleanup(cancel)
				return failingLimiter(t, failingFactory{block: true}), ctx
			}},
		} {
			t.Run(fmt.Sprintf("%s, fail-open %v", c.name, failOpen), func(t *testing.T) {
				l, ctx := c.limiter(t)
				var opts []httplimit.Option
				if c.wait {
					opts = append(opts, httplimit.WithWait(2*time.Minute))
				}
				if failOpen {
					opts = append(opts, httplimit.WithFailOpen())
				}
				serve := h.New(t, l, opts...)
				if c.wait {
					do(t, serve, "/").want(t, http.StatusOK)
				}
				r := do(t, serve, "/", func(r *http.Request) { *r = *r.WithContext(ctx) })
				r.want(t, c.status, "Ratelimit", "", "X-Content-Type-Options", "nosniff")
				if r.body == "ok" {
					t.Error("the handler ran for a request the limiter never admitted")
				}
			})
		}
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
