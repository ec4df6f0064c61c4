package fiberlimit_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// newLimiter returns a limiter enforcing rates over a memory store whose
// clock stands still.
func newLimiter(t testing.TB, rates ...ratelimit.Rate) *ratelimit.Limiter {
	t.Helper()
	s, err := memorystore.New(memorystore.WithClock(core.NewFakeClock(1_000_000)))
	if err != nil {
		t.Fatal(err)
	}
	l, err := ratelimit.New(s, ratelimit.Rates(rates))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// used returns how many units of its tightest rate l holds taken under key.
func used(t testing.TB, l *ratelimit.Limiter, key string) int64 {
	t.Helper()
	d, err := l.AllowN(context.Background(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	return d.Rate.Limit - d.Remaining
}

func newApp() *fiber.App {
	return fiber.New(fiber.Config{DisableStartupMessage: true})
}

func ok(c *fiber.Ctx) error { return c.SendString("ok") }

// requestContextKey is the fasthttp user value under which handlerOf hands
// a request's context to carryContext.
type requestContextKey struct{}

// carryContext is the first handler of a test app: it makes the request's
// context the user context, as a fiber app would set a context of its own
// (with a deadline, say) before the limiter.
func carryContext(c *fiber.Ctx) error {
	if ctx, ok := c.Context().UserValue(requestContextKey{}).(context.Context); ok {
		c.SetUserContext(ctx)
	}
	return c.Next()
}

// rawAddr is a peer address carried verbatim, whatever its form.
type rawAddr string

func (rawAddr) Network() string  { return "tcp" }
func (a rawAddr) String() string { return string(a) }

// handlerOf returns an http.Handler that sends each request through app
// without a network — its method, URI, headers (repeated ones in order),
// body, RemoteAddr and context — and writes app's response. Unlike
// app.Test, which writes the request to a fake connection, it carries the
// RemoteAddr and the context.
func handlerOf(t testing.TB, app *fiber.App) http.Handler {
	h := app.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req fasthttp.Request
		req.Header.SetMethod(r.Method)
		req.SetRequestURI(r.URL.RequestURI())
		req.Header.SetHost(r.Host)
		for name, values := range r.Header {
			for _, v := range values {
				req.Header.Add(name, v)
			}
		}
		if r.Body != nil {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				t.Error(err)
				return
			}
			req.SetBody(body)
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, rawAddr(r.RemoteAddr), nil)
		ctx.SetUserValue(requestContextKey{}, r.Context())
		h(&ctx)
		var buf bytes.Buffer
		bw := bufio.NewWriter(&buf)
		if err := ctx.Response.Write(bw); err != nil {
			t.Error(err)
			return
		}
		bw.Flush()
		res, err := http.ReadResponse(bufio.NewReader(&buf), r)
		if err != nil {
			t.Error(err)
			return
		}
		defer res.Body.Close()
		for name, values := range res.Header {
			w.Header()[name] = values
		}
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	})
}

// get sends GET path with the given headers (name, value pairs) through h,
// from 192.0.2.1:1234, and returns the response.
func get(t *testing.T, h http.Handler, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	req.RemoteAddr = "192.0.2.1:1234"
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}
