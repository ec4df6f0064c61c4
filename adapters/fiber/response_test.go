package fiberlimit_test

import (
	"bufio"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/gorate/ratelimit"
	fiberlimit "github.com/gorate/ratelimit/adapters/fiber"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// TestResponseBody checks what the middleware sees of a response written
// through each of fiber's body APIs: the bytes of a body in memory or of a
// stream of known size, -1 for a stream of none (never read to find out),
// the header the handler set, the status of a returned error.
func TestResponseBody(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(file, []byte(strings.Repeat("f", 1500)), 0o600); err != nil {
		t.Fatal(err)
	}
	type seen struct {
		status int
		size   int64
		header string
	}
	var got seen
	l := newLimiter(t, ratelimit.PerSecond(1<<40))
	mw := fiberlimit.Middleware(l, httplimit.WithCountIf(func(_ httplimit.Request, resp httplimit.Response) bool {
		got = seen{resp.Status(), resp.Written(), resp.Header("X-Units")}
		return true
	}))
	app := newApp()
	app.Use(mw)
	app.Get("/send", func(c *fiber.Ctx) error { return c.Send([]byte("abc")) })
	app.Get("/write", func(c *fiber.Ctx) error {
		c.Set("X-Units", "7")
		c.WriteString("ab")
		c.Write([]byte("cd"))
		return nil
	})
	app.Get("/stream", func(c *fiber.Ctx) error { return c.SendStream(strings.NewReader("abcde"), 5) })
	app.Get("/stream-unsized", func(c *fiber.Ctx) error { return c.SendStream(strings.NewReader("abcdef")) })
	app.Get("/writer", func(c *fiber.Ctx) error {
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) { w.WriteString("abcdefg") })
		return nil
	})
	app.Get("/file", func(c *fiber.Ctx) error { return c.SendFile(file) })
	app.Get("/error", func(*fiber.Ctx) error { return fiber.ErrTeapot })
	app.Get("/plain-error", func(*fiber.Ctx) error { return os.ErrNotExist })
	h := handlerOf(t, app)
	for _, c := range []struct {
		path string
		want seen
		body string
	}{
		{"/send", seen{200, 3, ""}, "abc"},
		{"/write", seen{200, 4, "7"}, "abcd"},
		{"/stream", seen{200, 5, ""}, "abcde"},
		{"/stream-unsized", seen{200, -1, ""}, "abcdef"},
		{"/writer", seen{200, -1, ""}, "abcdefg"},
		{"/file", seen{200, 1500, ""}, strings.Repeat("f", 1500)},
		{"/error", seen{http.StatusTeapot, 0, ""}, fiber.ErrTeapot.Message},
		{"/plain-error", seen{500, 0, ""}, os.ErrNotExist.Error()},
	} {
		got = seen{}
		w := get(t, h, c.path)
		if got != c.want || w.Body.String() != c.body {
			t.Errorf("GET %s: settled as %+v with body %q; want %+v, %q", c.path, got, w.Body, c.want, c.body)
		}
	}
}
