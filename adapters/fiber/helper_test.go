package fiberlimit_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/gorate/ratelimit/adapters/nethttp/httplimittest"
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// newLimiter returns a limiter on a fake clock that stands still, closed
// at cleanup.
func newLimiter(t testing.TB, rates ...ratelimit.Rate) *ratelimit.Limiter {
	l, _ := httplimittest.FakeLimiter(t, rates...)
	return l
}

func newApp() *fiber.App {
	return fiber.New(fiber.Config{DisableStartupMessage: true})
}

func ok(c *fiber.Ctx) error { return c.SendString("ok") }

// requestContextKey is the fasthttp user value under which serve hands a
// request's context to carryContext.
type requestContextKey struct{}

// carryContext is the first handler of a test app: it makes the context
// serve was given the request's user context, as a fiber app would set a
// context of its own (with a deadline, say) before the limiter.
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

// serve returns a function that sends one *http.Request through app
// without a network — its method, URI, headers (repeated ones in order),
// body, RemoteAddr and context — and returns the response. Unlike
// app.Test, which writes the request to a fake connection, it carries the
// RemoteAddr and the context.
func serve(t testing.TB, app *fiber.App) func(*http.Request) *http.Response {
	h := app.Handler()
	return func(r *http.Request) *http.Response {
		t.Helper()
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
				t.Fatal(err)
			}
			req.SetBody(body)
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, rawAddr(r.RemoteAddr), nil)
		ctx.SetUserValue(requestContextKey{}, r.Context())
		h(&ctx)
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		if err := ctx.Response.Write(w); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		resp, err := http.ReadResponse(bufio.NewReader(&buf), r)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
}

// body returns the body of resp, read in full.
func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// count returns how many units the limiter holds under key.
func count(t testing.TB, l *ratelimit.Limiter, key string) int64 {
	t.Helper()
	b, err := l.Bucket(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	n, err := b.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
