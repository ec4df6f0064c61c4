package httplimit_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// request returns a GET request from peer with the given headers (name,
// value pairs; a name may repeat).
func request(peer string, headers ...string) httplimit.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = peer
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return httplimit.NetHTTPRequest{R: r}
}

func TestClientIP(t *testing.T) {
	proxies := httplimit.TrustProxies(netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"))
	for _, c := range []struct {
		name    string
		opts    []httplimit.IPOption
		peer    string
		headers []string
		want    string
	}{
		{"peer", nil, "198.51.100.7:443", nil, "198.51.100.7"},
		{"peer without port", nil, "198.51.100.7", nil, "198.51.100.7"},
		{"IPv6 peer, /64", nil, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::/64"},
		{"IPv6 peer, /48", []httplimit.IPOption{httplimit.IPv6Prefix(48)}, "[2001:db8:1:2::9]:1", nil, "2001:db8:1::/48"},
		{"IPv6 peer, /128", []httplimit.IPOption{httplimit.IPv6Prefix(128)}, "[2001:db8::9]:1", nil, "2001:db8::9"},
		{"IPv6 zone dropped", nil, "[fe80::1%eth0]:1", nil, "fe80::/64"},
		{"IPv4-mapped", nil, "[::ffff:198.51.100.7]:1", nil, "198.51.100.7"},

		// Untrusted peers: their headers are ignored.
		{"spoofed XFF", nil, "198.51.100.7:1", []string{"X-Forwarded-For", "1.2.3.4"}, "198.51.100.7"},
		{"spoofed Forwarded", nil, "198.51.100.7:1", []string{"Forwarded", "for=1.2.3.4"}, "198.51.100.7"},
		{"spoofed X-Real-IP", nil, "198.51.100.7:1", []string{"X-Real-Ip", "1.2.3.4"}, "198.51.100.7"},
		{"untrusted peer with proxies set", []httplimit.IPOption{proxies}, "198.51.100.7:1", []string{"X-Forwarded-For", "1.2.3.4"}, "198.51.100.7"},

		// Trusted chains.
		{"XFF one hop", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"X-Forwarded-For", "203.0.113.5"}, "203.0.113.5"},
		{"XFF client prepends a lie", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.5"}, "203.0.113.5"},
		{"XFF two trusted hops", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.5, 10.0.0.9, 10.0.0.2"}, "203.0.113.5"},
		{"XFF over several header lines", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.5", "X-Forwarded-For", "10.0.0.2"}, "203.0.113.5"},
		{"XFF all trusted", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"X-Forwarded-For", "10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"XFF IPv6 client", []httplimit.IPOption{proxies}, "[fd00::1]:1", []string{"X-Forwarded-For", "2001:db8::5"}, "2001:db8::/64"},
		{"Forwarded preferred", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"Forwarded", `for=1.1.1.1, for="[2001:db8::5]:4711";proto=https`, "X-Forwarded-For", "203.0.113.5"}, "2001:db8::/64"},
		{"Forwarded params and case", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"Forwarded", `proto=http;FOR=203.0.113.6:80;by=10.0.0.1, for=10.0.0.4`}, "203.0.113.6"},
		{"X-Real-IP", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"X-Real-Ip", "203.0.113.7"}, "203.0.113.7"},
		{"trusted peer, no header", []httplimit.IPOption{proxies}, "10.0.0.1:1", nil, "10.0.0.1"},

		// Garbage ends the walk at the trusted proxy that forwarded it.
		{"XFF garbage", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"X-Forwarded-For", "not-an-ip"}, "10.0.0.1"},
		{"XFF garbage behind a trusted hop", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.2.3.4, junk, 10.0.0.2"}, "10.0.0.2"},
		{"XFF empty element", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.2.3.4,"}, "10.0.0.1"},
		{"Forwarded unknown", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"Forwarded", "for=unknown"}, "10.0.0.1"},
		{"Forwarded obfuscated", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"Forwarded", "for=_hidden"}, "10.0.0.1"},
		{"Forwarded without for", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"Forwarded", "proto=https"}, "10.0.0.1"},
		{"Forwarded broken quote", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"Forwarded", `for="203.0.113.5`}, "10.0.0.1"},
		{"leading zeros rejected", []httplimit.IPOption{proxies}, "10.0.0.1:1", []string{"X-Forwarded-For", "010.0.0.1"}, "10.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := httplimit.ClientIP(c.opts...)(request(c.peer, c.headers...))
			if err != nil || got != c.want {
				t.Fatalf("ClientIP = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

// TestClientIPHugeHeaders checks that a long forged chain costs bounded work
// and resolves to a trusted proxy, never to an address the client chose.
func TestClientIPHugeHeaders(t *testing.T) {
	key := httplimit.ClientIP(httplimit.TrustProxies(netip.MustParsePrefix("10.0.0.0/8")))
	chain := strings.Repeat("10.0.0.5, ", 10000) + "10.0.0.6"
	got, err := key(request("10.0.0.1:1", "X-Forwarded-For", "1.2.3.4, "+chain))
	if err != nil || !strings.HasPrefix(got, "10.0.0.") {
		t.Fatalf("ClientIP over 10001 trusted hops = %q, %v; want a trusted proxy", got, err)
	}
	many := make([]string, 0, 2000)
	for range 1000 {
		many = append(many, "X-Forwarded-For", "\x00\xff,,;;\"[]:")
	}
	got, err = key(request("10.0.0.1:1", many...))
	if err != nil || got != "10.0.0.1" {
		t.Fatalf("ClientIP over 1000 garbage lines = %q, %v; want the peer", got, err)
	}
}

func TestClientIPNoPeer(t *testing.T) {
	for _, peer := range []string{"", "@", "unix:/tmp/sock", "example.com:80", "[::1"} {
		_, err := httplimit.ClientIP()(request(peer))
		if !errors.Is(err, httplimit.ErrNoClientIP) {
			t.Errorf("ClientIP with peer %q: err = %v, want ErrNoClientIP", peer, err)
		}
	}
}

// FuzzClientIP checks that no header can make ClientIP panic or return a
// key that is neither the peer nor an address parsed from the headers.
func FuzzClientIP(f *testing.F) {
	f.Add("1.2.3.4, 10.0.0.2", `for="[2001:db8::1]:80"`, "5.6.7.8")
	f.Add(",,,", "for=;for", "")
	key := httplimit.ClientIP(httplimit.TrustProxies(netip.MustParsePrefix("10.0.0.0/8")))
	f.Fuzz(func(t *testing.T, xff, fwd, real string) {
		got, err := key(request("10.0.0.1:1", "X-Forwarded-For", xff, "Forwarded", fwd, "X-Real-Ip", real))
		if err != nil || got == "" {
			t.Fatalf("ClientIP = %q, %v", got, err)
		}
		if _, err := netip.ParseAddr(got); err != nil {
			if _, err := netip.ParsePrefix(got); err != nil {
				t.Fatalf("ClientIP = %q: neither an address nor a prefix", got)
			}
		}
	})
}
