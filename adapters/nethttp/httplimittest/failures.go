package httplimittest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// failingStore is a store that is down: every take fails with err, or,
// when block is set, waits for the context to end.
type failingStore struct {
	err   error
	block bool
}

func (f failingStore) Take(ctx context.Context, _ string, _ ratelimit.Rates, _ int64) (ratelimit.Decision, error) {
	if f.block {
		<-ctx.Done()
		return ratelimit.Decision{}, context.Cause(ctx)
	}
	return ratelimit.Decision{}, f.err
}

// cancelling is a store that cancels the request's context during a take:
// before asking its inner store when early is set (the client leaves
// during the store call), else after a denial (the client leaves mid-wait,
// between the denial and its retry).
type cancelling struct {
	ratelimit.Store
	cancel context.CancelFunc
	early  bool
}

func (s cancelling) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	if s.early {
		s.cancel()
	}
	d, err := s.Store.Take(ctx, key, rates, n)
	if err == nil && !d.Allowed {
		s.cancel()
	}
	return d, err
}

// hook returns an error hook counting the errors that wrap target (nil:
// every error).
func hook(target error) (httplimit.Option, *atomic.Int64) {
	var n atomic.Int64
	return httplimit.WithErrorHook(func(_ httplimit.Request, err error) {
		if target == nil || errors.Is(err, target) {
			n.Add(1)
		}
	}), &n
}

func testStoreFailure(t *testing.T, newHandler server) {
	down := errors.New("store down")
	l := limiter(t, failingStore{err: down}, ratelimit.PerSecond(1))
	seen, hooked := hook(down)
	do(t, newHandler(t, l, seen), "/").want(t, http.StatusServiceUnavailable, "Ratelimit", "", "Retry-After", "", "X-Content-Type-Options", "nosniff")
	// A limiter that fails open admits, and reports the failure to its
	// observers, not as an error.
	for _, opt := range []ratelimit.Option{ratelimit.WithFailOpen(), ratelimit.WithDryRun()} {
		open := limiter(t, failingStore{err: down}, ratelimit.PerSecond(1), opt)
		r := do(t, newHandler(t, open, seen, httplimit.WithHeaders(httplimit.HeadersIETF|httplimit.HeadersXRateLimit|httplimit.HeadersShadow)), "/")
		r.want(t, http.StatusOK, "Ratelimit", "", "X-Ratelimit-Limit", "", "X-Ratelimit-Shadow", "", "X-Content-Type-Options", "")
		if r.body != "ok" {
			t.Errorf("fail-open: body %q, want the handler's", r.body)
		}
	}
	if hooked.Load() != 1 {
		t.Errorf("the error hook saw %d store errors, want 1", hooked.Load())
	}
}

// testReply checks WithReply for each status: its reply is written, a zero
// Status in it is the middleware's, a zero Reply is the default one, and
// the rate-limit headers are set whatever it returns.
func testReply(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerSecond(1))
	h := newHandler(t, l, httplimit.WithKey(httplimit.Header("X-User")),
		httplimit.WithReply(func(r httplimit.Request, status int, d ratelimit.Decision, err error) httplimit.Reply {
			switch status {
			case http.StatusTooManyRequests:
				return httplimit.Reply{ContentType: "text/html", Body: []byte("<p>slow down, " + r.Path() + " " + d.Rate.String() + "</p>")}
			case http.StatusBadRequest:
				return httplimit.Reply{Status: http.StatusUnauthorized, Body: []byte(err.Error())}
			}
			return httplimit.Reply{}
		}))
	do(t, h, "/r/7", header("X-User", "ann")).want(t, http.StatusOK)
	r := do(t, h, "/r/7", header("X-User", "ann"))
	r.want(t, http.StatusTooManyRequests, "Content-Type", "text/html", "Retry-After", "2", "X-Ratelimit-Limit", "1", "X-Content-Type-Options", "nosniff")
	if r.body != "<p>slow down, /r/7 1/s</p>" {
		t.Errorf("429 body %q", r.body)
	}
	r = do(t, h, "/r/7")
	r.want(t, http.StatusUnauthorized, "X-Content-Type-Options", "nosniff")
	if want := "ratelimit: invalid argument: no X-User header"; r.body != want {
		t.Errorf("401 body %q, want %q", r.body, want)
	}

	down := limiter(t, failingStore{err: errors.New("down")}, ratelimit.PerSecond(1))
	h = newHandler(t, down, httplimit.WithReply(func(httplimit.Request, int, ratelimit.Decision, error) httplimit.Reply {
		return httplimit.Reply{}
	}))
	r = do(t, h, "/")
	r.want(t, http.StatusServiceUnavailable, "Content-Type", "text/plain; charset=utf-8")
	if r.body != "rate limiter unavailable\n" {
		t.Errorf("503 body %q, want the default", r.body)
	}
}

// testUnkeyable checks that a request the key function cannot key is the
// client's fault, fail-open or not: 400, the handler not run, the error
// hook told.
func testUnkeyable(t *testing.T, newHandler server) {
	for _, failOpen := range []bool{false, true} {
		lopts := []ratelimit.Option{ratelimit.PerSecond(1)}
		if failOpen {
			lopts = append(lopts, ratelimit.WithFailOpen())
		}
		l, _ := newLimiter(t, lopts...)
		seen, hooked := hook(ratelimit.ErrInvalidArgument)
		h := newHandler(t, l, httplimit.WithKey(httplimit.Header("X-User")), seen)
		for range 3 {
			r := do(t, h, "/")
			r.want(t, http.StatusBadRequest, "Ratelimit", "", "Retry-After", "", "X-Content-Type-Options", "nosniff")
			if r.body != "request cannot be rate limited\n" {
				t.Errorf("fail-open %v: 400 body %q", failOpen, r.body)
			}
		}
		do(t, h, "/", header("X-User", "ann")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
		do(t, h, "/", header("X-User", "ann")).want(t, http.StatusTooManyRequests)
		if hooked.Load() != 3 {
			t.Errorf("fail-open %v: the error hook saw %d ErrInvalidArgument errors, want 3", failOpen, hooked.Load())
		}
	}
}

// testBadCost checks that a cost function's error or negative cost (a
// chunked body's ContentLength is -1) is the client's fault, fail-open or
// not.
func testBadCost(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerSecond(5), ratelimit.WithFailOpen())
	seen, hooked := hook(ratelimit.ErrInvalidArgument)
	count, failed := hook(nil)
	h := newHandler(t, l, httplimit.WithCost(costHeader), seen)
	for _, bad := range []string{"-1", "x", ""} {
		r := do(t, h, "/", header("X-Cost", bad), header("Accept", "application/json"))
		r.want(t, http.StatusBadRequest, "Ratelimit", "", "Content-Type", "application/json")
		if want := `{"error":"request cannot be rate limited"}` + "\n"; r.body != want {
			t.Errorf("cost %q: body %q, want %q", bad, r.body, want)
		}
	}
	do(t, h, "/", header("X-Cost", "5")).want(t, http.StatusOK, "X-Ratelimit-Remaining", "0")
	if hooked.Load() != 1 { // the negative cost; the others are strconv's errors
		t.Errorf("the error hook saw %d ErrInvalidArgument errors, want 1", hooked.Load())
	}
	h = newHandler(t, l, httplimit.WithCost(costHeader), count)
	do(t, h, "/", header("X-Cost", "x")).want(t, http.StatusBadRequest)
	if failed.Load() != 1 {
		t.Errorf("the error hook saw %d errors of a cost function, want 1", failed.Load())
	}
}

// testContextEnds checks that a request whose own context ends before the
// limiter admits it is never run, fail-open or not: 499 when its client
// leaves (the context is cancelled) mid-wait or during the store call, 503
// when its deadline ends the store call.
func testContextEnds(t *testing.T, newHandler server) {
	for _, failOpen := range []bool{false, true} {
		for _, c := range []struct {
			name   string
			status int
			wait   bool // WithWait, after a request that spends the limit
			// limiter returns the limiter, with opts, and the context of
			// the request to check.
			limiter func(t *testing.T, opts ...ratelimit.Option) (*ratelimit.Limiter, context.Context)
		}{
			{"client leaves mid-wait", 499, true, func(t *testing.T, opts ...ratelimit.Option) (*ratelimit.Limiter, context.Context) {
				ctx, cancel := context.WithCancel(t.Context())
				s, _ := fakeStore(t)
				return limiter(t, cancelling{Store: s, cancel: cancel}, append(opts, ratelimit.PerMinute(1))...), ctx
			}},
			{"client leaves during the store call", 499, false, func(t *testing.T, opts ...ratelimit.Option) (*ratelimit.Limiter, context.Context) {
				ctx, cancel := context.WithCancel(t.Context())
				return limiter(t, cancelling{Store: failingStore{block: true}, cancel: cancel, early: true}, append(opts, ratelimit.PerMinute(1))...), ctx
			}},
			{"deadline ends the store call", http.StatusServiceUnavailable, false, func(t *testing.T, opts ...ratelimit.Option) (*ratelimit.Limiter, context.Context) {
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
				t.Cleanup(cancel)
				return limiter(t, failingStore{block: true}, append(opts, ratelimit.PerMinute(1))...), ctx
			}},
		} {
			t.Run(fmt.Sprintf("%s, fail-open %v", c.name, failOpen), func(t *testing.T) {
				var lopts []ratelimit.Option
				if failOpen {
					lopts = append(lopts, ratelimit.WithFailOpen())
				}
				l, ctx := c.limiter(t, lopts...)
				seen, hooked := hook(nil)
				opts := []httplimit.Option{seen}
				if c.wait {
					opts = append(opts, httplimit.WithWait(2*time.Minute))
				}
				h := newHandler(t, l, opts...)
				if c.wait {
					do(t, h, "/").want(t, http.StatusOK)
				}
				r := do(t, h, "/", withContext(ctx))
				r.want(t, c.status, "Ratelimit", "", "X-Content-Type-Options", "nosniff")
				if r.body == "ok" {
					t.Error("the handler ran for a request the limiter never admitted")
				}
				if hooked.Load() != 1 {
					t.Errorf("the error hook saw %d errors, want 1", hooked.Load())
				}
			})
		}
	}
}

// testNilOptions checks that a nil limiter, option or function is refused
// when the middleware is built, with a panic naming it, rather than on
// every request.
func testNilOptions(t *testing.T, newHandler server) {
	l, _ := newLimiter(t, ratelimit.PerSecond(1))
	for _, c := range []struct {
		name  string
		build func()
	}{
		{"limiter", func() { newHandler(t, nil) }},
		{"Option", func() { newHandler(t, l, nil) }},
		{"WithKey", func() { newHandler(t, l, httplimit.WithKey(httplimit.Method(), nil)) }},
		{"WithCost", func() { newHandler(t, l, httplimit.WithCost(nil)) }},
		{"WithSkip", func() { newHandler(t, l, httplimit.WithSkip(nil)) }},
		{"WithReply", func() { newHandler(t, l, httplimit.WithReply(nil)) }},
		{"WithErrorHook", func() { newHandler(t, l, httplimit.WithErrorHook(nil)) }},
		{"ClientIP", func() { newHandler(t, l, httplimit.WithKey(httplimit.ClientIP(nil))) }},
		{"WithLists", func() { newHandler(t, l, httplimit.WithLists(nil, nil)) }},
		{"WithLists", func() { newHandler(t, l, httplimit.WithLists(new(httplimit.List), nil, nil)) }},
		{"WithCountIf", func() { newHandler(t, l, httplimit.WithCountIf(nil)) }},
		{"WithResponseCost", func() { newHandler(t, l, httplimit.WithResponseCost(nil)) }},
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
