package httplimittest

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/gorate/ratelimit"
)

// RunLimitByIP checks an adapter's LimitByIP: newHandler returns a handler
// that serves GET / ("ok") through the adapter's LimitByIP(rates...). Each
// client IP is limited on its own, no goroutine is left behind, and invalid
// rates panic when the middleware is built, with a message naming them.
func RunLimitByIP(t *testing.T, newHandler func(rates ...ratelimit.Rate) http.Handler) {
	t.Helper()
	t.Run("PerIP", func(t *testing.T) {
		h := newHandler(ratelimit.PerSecond(2), ratelimit.PerHour(1000))
		for i, c := range []struct {
			peer   string
			status int
		}{
			{"192.0.2.1:1", http.StatusOK}, {"192.0.2.1:2", http.StatusOK}, {"192.0.2.1:3", http.StatusTooManyRequests},
			{"192.0.2.2:1", http.StatusOK}, {"[2001:db8::1]:1", http.StatusOK},
		} {
			r := do(t, h, "/", remote(c.peer))
			r.want(t, c.status, "Ratelimit-Policy", `"2/s";q=2;w=1`)
			if (r.body == "ok") != (c.status == http.StatusOK) {
				t.Errorf("request %d from %s: status %d, body %q", i, c.peer, r.status, r.body)
			}
		}
	})
	t.Run("NoGoroutine", func(t *testing.T) {
		before := runtime.NumGoroutine()
		for range 10 {
			h := newHandler(ratelimit.PerSecond(1))
			for i := range 20 {
				do(t, h, "/", remote(fmt.Sprintf("192.0.2.%d:1", i%10)))
			}
		}
		if after := runtime.NumGoroutine(); after > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines before LimitByIP, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
		}
	})
	t.Run("InvalidRates", func(t *testing.T) {
		for _, c := range []struct {
			rates []ratelimit.Rate
			want  string
		}{
			{nil, "no rates"},
			{[]ratelimit.Rate{ratelimit.PerSecond(0)}, "limit 0 in 0/s must be positive"},
			{[]ratelimit.Rate{ratelimit.PerSecond(10), ratelimit.PerMinute(5)}, "5/min allows no more than 10/s"},
		} {
			func() {
				defer func() {
					msg, _ := recover().(string)
					if !strings.HasPrefix(msg, "httplimit: LimitByIP: ") || !strings.Contains(msg, c.want) {
						t.Errorf("LimitByIP(%v): panic %q, want one with %q", c.rates, msg, c.want)
					}
				}()
				newHandler(c.rates...)
			}()
		}
	})
}
