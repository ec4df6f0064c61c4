package httplimittest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// testSpoofedForwarding puts a client behind a trusted proxy that sets one
// header and passes the client's other headers through (nginx's default):
// whatever the client writes in the headers the proxy does not set, or
// prepends to the one it appends to, its key stays its own address, so a
// spent limit of 3 a minute denies 20 of 20 further requests.
func testSpoofedForwarding(t *testing.T, newHandler server) {
	const client = "203.0.113.7"
	for _, c := range []struct {
		header string
		set    func(spoof string) []func(*http.Request) // what the proxy forwards
	}{
		// nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
		{"X-Forwarded-For", func(spoof string) []func(*http.Request) {
			return []func(*http.Request){header("X-Forwarded-For", spoof+", "+client)}
		}},
		// nginx: proxy_set_header X-Real-IP $remote_addr;
		{"X-Real-IP", func(string) []func(*http.Request) {
			return []func(*http.Request){header("X-Real-Ip", client)}
		}},
		// Cloudflare sets CF-Connecting-IP and appends to X-Forwarded-For.
		{"CF-Connecting-IP", func(spoof string) []func(*http.Request) {
			return []func(*http.Request){header("Cf-Connecting-Ip", client), header("X-Forwarded-For", spoof)}
		}},
	} {
		t.Run(c.header, func(t *testing.T) {
			l, _ := newLimiter(t, ratelimit.PerMinute(3), ratelimit.WithFailOpen())
			trust, err := httplimit.TrustProxies(c.header, "10.0.0.0/8")
			if err != nil {
				t.Fatal(err)
			}
			h := newHandler(t, l, httplimit.WithKey(httplimit.ClientIP(trust)))
			denied := 0
			for i := range 23 {
				spoof := fmt.Sprintf("198.51.100.%d", i+1)
				mods := []func(*http.Request){
					remote("10.0.0.2:5000"),
					header("Forwarded", "for="+spoof),
					header("X-Forwarded-For", spoof),
					header("X-Real-Ip", spoof),
					header("Cf-Connecting-Ip", spoof),
					header("True-Client-Ip", spoof),
				}
				r := do(t, h, "/", append(mods, c.set(spoof)...)...)
				switch {
				case i < 3 && r.status != http.StatusOK:
					t.Errorf("request %d: status %d, want 200", i, r.status)
				case i >= 3 && r.status == http.StatusTooManyRequests && r.body != "ok":
					denied++
				}
			}
			if denied != 20 {
				t.Errorf("%d of the 20 requests past a spent limit were denied, want 20: the client chose its key", denied)
			}
		})
	}
}
