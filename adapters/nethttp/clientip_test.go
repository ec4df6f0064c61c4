package httplimit_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gorate/ratelimit"
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
	return httplimit.NewRequest(r)
}

// trust returns TrustProxies(header, proxies...), failing t on an error.
func trust(t testing.TB, header string, proxies ...string) httplimit.IPOption {
	t.Helper()
	o, err := httplimit.TrustProxies(header, proxies...)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestClientIP(t *testing.T) {
	xff := trust(t, "X-Forwarded-For", "10.0.0.0/8", "fd00::/8")
	fwd := trust(t, "forwarded", "10.0.0.0/8", "fd00::/8") // any case
	real := trust(t, "X-Real-IP", "10.0.0.0/8", "fd00::/8")
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
		{"IPv6 prefix clamped to 128", []httplimit.IPOption{httplimit.IPv6Prefix(200)}, "[2001:db8::9]:1", nil, "2001:db8::9"},
		{"IPv6 prefix clamped to 0", []httplimit.IPOption{httplimit.IPv6Prefix(-1)}, "[2001:db8::9]:1", nil, "::/0"},
		{"IPv6 zone dropped", nil, "[fe80::1%eth0]:1", nil, "fe80::/64"},
		{"IPv4-mapped", nil, "[::ffff:198.51.100.7]:1", nil, "198.51.100.7"},

		// Untrusted peers: their headers are ignored.
		{"spoofed XFF", nil, "198.51.100.7:1", []string{"X-Forwarded-For", "1.2.3.4"}, "198.51.100.7"},
		{"spoofed Forwarded", nil, "198.51.100.7:1", []string{"Forwarded", "for=1.2.3.4"}, "198.51.100.7"},
		{"spoofed X-Real-IP", nil, "198.51.100.7:1", []string{"X-Real-Ip", "1.2.3.4"}, "198.51.100.7"},
		{"untrusted peer with proxies set", []httplimit.IPOption{xff}, "198.51.100.7:1", []string{"X-Forwarded-For", "1.2.3.4"}, "198.51.100.7"},
		{"untrusted peer, single-value header", []httplimit.IPOption{real}, "198.51.100.7:1", []string{"X-Real-Ip", "1.2.3.4"}, "198.51.100.7"},

		// Trusted peers: the named header only.
		{"XFF one hop", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"X-Forwarded-For", "203.0.113.5"}, "203.0.113.5"},
		{"XFF client prepends a lie", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.5"}, "203.0.113.5"},
		{"XFF two trusted hops", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.5, 10.0.0.9, 10.0.0.2"}, "203.0.113.5"},
		{"XFF over several header lines", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.1.1.1, 203.0.113.5", "X-Forwarded-For", "10.0.0.2"}, "203.0.113.5"},
		{"XFF all trusted", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"X-Forwarded-For", "10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"XFF IPv6 client", []httplimit.IPOption{xff}, "[fd00::1]:1", []string{"X-Forwarded-For", "2001:db8::5"}, "2001:db8::/64"},
		{"XFF named, Forwarded ignored", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"Forwarded", "for=1.1.1.1", "X-Forwarded-For", "203.0.113.5"}, "203.0.113.5"},
		{"XFF named, X-Real-IP ignored", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"X-Real-Ip", "1.1.1.1", "X-Forwarded-For", "203.0.113.5"}, "203.0.113.5"},
		{"XFF named but absent: the peer", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"Forwarded", "for=1.1.1.1", "X-Real-Ip", "1.1.1.2", "Cf-Connecting-Ip", "1.1.1.3"}, "10.0.0.1"},
		{"Forwarded", []httplimit.IPOption{fwd}, "10.0.0.1:1", []string{"Forwarded", `for=1.1.1.1, for="[2001:db8::5]:4711";proto=https`, "X-Forwarded-For", "203.0.113.5"}, "2001:db8::/64"},
		{"Forwarded params and case", []httplimit.IPOption{fwd}, "10.0.0.1:1", []string{"Forwarded", `proto=http;FOR=203.0.113.6:80;by=10.0.0.1, for=10.0.0.4`}, "203.0.113.6"},
		{"Forwarded named, XFF ignored", []httplimit.IPOption{fwd}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.1.1.1"}, "10.0.0.1"},
		{"trusted peer, no header", []httplimit.IPOption{xff}, "10.0.0.1:1", nil, "10.0.0.1"},

		// Single-value headers: taken as they are, the last value if several.
		{"X-Real-IP", []httplimit.IPOption{real}, "10.0.0.1:1", []string{"X-Real-Ip", "203.0.113.7"}, "203.0.113.7"},
		{"X-Real-IP named, XFF and Forwarded ignored", []httplimit.IPOption{real}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.1.1.1", "Forwarded", "for=1.1.1.2", "X-Real-Ip", "203.0.113.7"}, "203.0.113.7"},
		{"X-Real-IP named but absent: the peer", []httplimit.IPOption{real}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.1.1.1", "Forwarded", "for=1.1.1.2"}, "10.0.0.1"},
		{"X-Real-IP trusted address taken as is", []httplimit.IPOption{real}, "10.0.0.1:1", []string{"X-Real-Ip", "10.0.0.7"}, "10.0.0.7"},
		{"X-Real-IP several lines: the last", []httplimit.IPOption{real}, "10.0.0.1:1", []string{"X-Real-Ip", "1.1.1.1", "X-Real-Ip", "203.0.113.7"}, "203.0.113.7"},
		{"X-Real-IP comma list: the last", []httplimit.IPOption{real}, "10.0.0.1:1", []string{"X-Real-Ip", "1.1.1.1, 203.0.113.7"}, "203.0.113.7"},
		{"X-Real-IP with a port", []httplimit.IPOption{real}, "10.0.0.1:1", []string{"X-Real-Ip", "[2001:db8::7]:443"}, "2001:db8::/64"},
		{"X-Real-IP garbage: the peer", []httplimit.IPOption{real}, "10.0.0.1:1", []string{"X-Real-Ip", "unknown"}, "10.0.0.1"},
		{"X-Real-IP empty: the peer", []httplimit.IPOption{real}, "10.0.0.1:1", []string{"X-Real-Ip", ""}, "10.0.0.1"},

		// Garbage ends the walk at the trusted proxy that forwarded it.
		{"XFF garbage", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"X-Forwarded-For", "not-an-ip"}, "10.0.0.1"},
		{"XFF garbage behind a trusted hop", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.2.3.4, junk, 10.0.0.2"}, "10.0.0.2"},
		{"XFF empty element", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"X-Forwarded-For", "1.2.3.4,"}, "10.0.0.1"},
		{"Forwarded unknown", []httplimit.IPOption{fwd}, "10.0.0.1:1", []string{"Forwarded", "for=unknown"}, "10.0.0.1"},
		{"Forwarded obfuscated", []httplimit.IPOption{fwd}, "10.0.0.1:1", []string{"Forwarded", "for=_hidden"}, "10.0.0.1"},
		{"Forwarded without for", []httplimit.IPOption{fwd}, "10.0.0.1:1", []string{"Forwarded", "proto=https"}, "10.0.0.1"},
		{"Forwarded broken quote", []httplimit.IPOption{fwd}, "10.0.0.1:1", []string{"Forwarded", `for="203.0.113.5`}, "10.0.0.1"},
		{"leading zeros rejected", []httplimit.IPOption{xff}, "10.0.0.1:1", []string{"X-Forwarded-For", "010.0.0.1"}, "10.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := request(c.peer, c.headers...)
			got, err := httplimit.ClientIP(c.opts...)(r)
			if err != nil || got != c.want {
				t.Fatalf("ClientIP = %q, %v; want %q", got, err, c.want)
			}
			// A Request with RemoteAddrPort gives the same key, from
			// that method alone.
			ap, err := netip.ParseAddrPort(c.peer)
			if err != nil {
				ap = netip.AddrPortFrom(netip.MustParseAddr(c.peer), 0)
			}
			got, err = httplimit.ClientIP(c.opts...)(addrPortRequest{r, ap})
			if err != nil || got != c.want {
				t.Fatalf("ClientIP of a Request with RemoteAddrPort = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

// addrPortRequest is a Request with the method RemoteAddrPort, returning
// ap; its RemoteAddr is not an address, unless ap is the zero AddrPort.
type addrPortRequest struct {
	httplimit.Request
	ap netip.AddrPort
}

func (r addrPortRequest) RemoteAddrPort() netip.AddrPort { return r.ap }

func (r addrPortRequest) RemoteAddr() string {
	if r.ap.IsValid() {
		return "not consulted"
	}
	return r.Request.RemoteAddr()
}

// TestClientIPRecipes runs the recipes of TrustProxies' documentation: the
// header each proxy sets as it sets it, a client that writes every other
// forwarding header itself, and a client that connects around the proxy.
func TestClientIPRecipes(t *testing.T) {
	const client = "203.0.113.7"
	// What a client sends to spoof its key: every forwarding header.
	spoof := []string{
		"X-Forwarded-For", "1.1.1.1", "Forwarded", "for=1.1.1.2", "X-Real-Ip", "1.1.1.3",
		"Cf-Connecting-Ip", "1.1.1.4", "True-Client-Ip", "1.1.1.5",
	}
	// set returns spoof with name's value replaced by value, as the proxy
	// sets it.
	set := func(name, value string) []string {
		h := slices.Clone(spoof)
		for i := 0; i < len(h); i += 2 {
			if h[i] == name {
				h[i+1] = value
			}
		}
		return h
	}
	cloudflare := []string{"173.245.48.0/20", "2400:cb00::/32"}
	for _, c := range []struct {
		name    string
		opt     httplimit.IPOption
		proxy   string   // the proxy's address, as the server's peer
		headers []string // as the proxy forwards them
	}{
		// proxy_set_header X-Real-IP $remote_addr;
		{"nginx X-Real-IP", trust(t, "X-Real-IP", "10.0.0.2"), "10.0.0.2:40000", set("X-Real-Ip", client)},
		// proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
		{"nginx X-Forwarded-For", trust(t, "X-Forwarded-For", "10.0.0.2"), "10.0.0.2:40000", set("X-Forwarded-For", "1.1.1.1, "+client)},
		{"Cloudflare", trust(t, "CF-Connecting-IP", cloudflare...), "173.245.48.9:40000", set("Cf-Connecting-Ip", client)},
		{"Cloudflare over IPv6", trust(t, "CF-Connecting-IP", cloudflare...), "[2400:cb00::9]:40000", set("Cf-Connecting-Ip", client)},
		{"Akamai True-Client-IP", trust(t, "True-Client-IP", "10.0.0.0/8"), "10.1.2.3:40000", set("True-Client-Ip", client)},
		// An ALB appends the address it saw to X-Forwarded-For.
		{"AWS ALB", trust(t, "X-Forwarded-For", "10.0.0.0/16"), "10.0.3.4:40000", set("X-Forwarded-For", "1.1.1.1, "+client)},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := httplimit.ClientIP(c.opt)
			if got, err := key(request(c.proxy, c.headers...)); err != nil || got != client {
				t.Errorf("through the proxy: ClientIP = %q, %v; want %q", got, err, client)
			}
			if got, err := key(request(client+":5555", spoof...)); err != nil || got != client {
				t.Errorf("around the proxy: ClientIP = %q, %v; want %q", got, err, client)
			}
		})
	}
}

// TestTrustProxiesValues checks that a bare address is that one host, a
// prefix is taken as written, and a value with host bits or no address is
// an error naming it: never a wider range.
func TestTrustProxiesValues(t *testing.T) {
	for _, c := range []struct {
		in      string
		trusted string // a peer the value trusts; "" for an error
		not     string // a peer it does not trust
	}{
		{"10.0.0.2", "10.0.0.2", "10.0.0.3"},
		{"2001:db8::7", "[2001:db8::7]", "[2001:db8::8]"},
		{"fe80::1%eth0", "[fe80::1]", "[fe80::2]"},
		{"::ffff:10.0.0.2", "10.0.0.2", "10.0.0.3"},
		{"10.0.0.0/8", "10.9.9.9", "11.0.0.1"},
		{"10.0.0.2/32", "10.0.0.2", "10.0.0.3"},
		{"2001:db8::/32", "[2001:db8:ffff::1]", "[2001:db9::1]"},
		{"::ffff:10.0.0.0/104", "10.9.9.9", "11.0.0.1"},
		{" 10.0.0.2 ", "10.0.0.2", "10.0.0.3"},
		{"10.0.0.2/8", "", ""},
		{"2001:db8::1/64", "", ""},
		{"10.0.0.0/33", "", ""},
		{"10.0.0", "", ""},
		{"", "", ""},
		{"example.com", "", ""},
		{"10.0.0.2 /8", "", ""},
	} {
		o, err := httplimit.TrustProxies("X-Real-IP", "192.0.2.0/24", c.in)
		if c.trusted == "" {
			if !errors.Is(err, ratelimit.ErrInvalidArgument) || !strings.Contains(err.Error(), strings.TrimSpace(c.in)) {
				t.Errorf("TrustProxies(%q): error %v, want one wrapping ErrInvalidArgument and naming the value", c.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("TrustProxies(%q): %v", c.in, err)
			continue
		}
		key := httplimit.ClientIP(o, httplimit.IPv6Prefix(128))
		for peer, want := range map[string]string{c.trusted: "203.0.113.7", c.not: strings.Trim(c.not, "[]"), "192.0.2.1": "203.0.113.7"} {
			if got, err := key(request(peer+":1", "X-Real-Ip", "203.0.113.7")); err != nil || got != want {
				t.Errorf("TrustProxies(%q), peer %s: ClientIP = %q, %v; want %q", c.in, peer, got, err, want)
			}
		}
	}
	_, err := httplimit.TrustProxies("X-Forwarded-For", "10.0.0.2/8")
	if want := "trusted proxy prefix 10.0.0.2/8 has host bits set: write 10.0.0.0/8, or 10.0.0.2 for the one address"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("TrustProxies(10.0.0.2/8): error %v, want one saying %q", err, want)
	}
}

// TestTrustProxiesHeaders checks that a header name TrustProxies cannot
// take is an error naming it, and that ClientIP refuses two headers with a
// panic naming them: never a header nobody named.
func TestTrustProxiesHeaders(t *testing.T) {
	for _, h := range []string{"", "X-Forwarded-For:", "10.0.0.0/8", "10.0.0.2", "X Real IP"} {
		if _, err := httplimit.TrustProxies(h, "10.0.0.0/8"); !errors.Is(err, ratelimit.ErrInvalidArgument) || !strings.Contains(err.Error(), fmt.Sprintf("%q is not a header name", h)) {
			t.Errorf("TrustProxies(%q): error %v, want one naming it", h, err)
		}
	}
	for _, c := range []struct {
		name  string
		build func()
		want  string
	}{
		{"two headers", func() {
			httplimit.ClientIP(trust(t, "X-Real-IP", "10.0.0.0/8"), trust(t, "X-Forwarded-For", "10.0.0.0/8"))
		}, "named both X-Real-Ip and X-Forwarded-For"},
		{"nil IPOption", func() { httplimit.ClientIP(nil) }, "nil IPOption"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "httplimit: ") || !strings.Contains(msg, c.want) {
					t.Errorf("panic %q, want one with %q", msg, c.want)
				}
			}()
			c.build()
		})
	}
	// The same header twice, in another case, adds up the proxies.
	key := httplimit.ClientIP(trust(t, "X-Real-IP", "10.0.0.0/8"), trust(t, "x-real-ip", "192.168.0.0/16"))
	for _, peer := range []string{"192.168.1.1:1", "10.1.1.1:1"} {
		if got, err := key(request(peer, "X-Real-Ip", "203.0.113.7")); err != nil || got != "203.0.113.7" {
			t.Errorf("two TrustProxies options, peer %s: ClientIP = %q, %v; want 203.0.113.7", peer, got, err)
		}
	}
}

// TestClientIPHugeHeaders checks that a long forged chain costs bounded work
// and resolves to a trusted proxy, never to an address the client chose.
func TestClientIPHugeHeaders(t *testing.T) {
	key := httplimit.ClientIP(trust(t, "X-Forwarded-For", "10.0.0.0/8"))
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
		if !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("ClientIP with peer %q: err = %v, want ErrInvalidArgument", peer, err)
		}
		// A zero RemoteAddrPort leaves RemoteAddr to tell.
		_, err = httplimit.ClientIP()(addrPortRequest{request(peer), netip.AddrPort{}})
		if !errors.Is(err, ratelimit.ErrInvalidArgument) || !strings.Contains(err.Error(), fmt.Sprintf("%q", peer)) {
			t.Errorf("ClientIP with peer %q and a zero RemoteAddrPort: err = %v, want ErrInvalidArgument naming the peer", peer, err)
		}
	}
	if got, err := httplimit.ClientIP()(addrPortRequest{request("198.51.100.7:1"), netip.AddrPort{}}); got != "198.51.100.7" || err != nil {
		t.Errorf("ClientIP with a zero RemoteAddrPort = %q, %v; want RemoteAddr's host", got, err)
	}
}

// FuzzClientIP checks that no header can make ClientIP panic or return a
// key that is neither the peer nor an address parsed from the headers, and
// that the headers not named never change the key.
func FuzzClientIP(f *testing.F) {
	f.Add("1.2.3.4, 10.0.0.2", `for="[2001:db8::1]:80"`, "5.6.7.8")
	f.Add(",,,", "for=;for", "")
	keys := []struct {
		header string
		key    httplimit.KeyFunc
	}{
		{"X-Forwarded-For", httplimit.ClientIP(trust(f, "X-Forwarded-For", "10.0.0.0/8"))},
		{"Forwarded", httplimit.ClientIP(trust(f, "Forwarded", "10.0.0.0/8"))},
		{"X-Real-Ip", httplimit.ClientIP(trust(f, "X-Real-IP", "10.0.0.0/8"))},
	}
	f.Fuzz(func(t *testing.T, xff, fwd, real string) {
		all := map[string]string{"X-Forwarded-For": xff, "Forwarded": fwd, "X-Real-Ip": real}
		for _, k := range keys {
			got, err := k.key(request("10.0.0.1:1", "X-Forwarded-For", xff, "Forwarded", fwd, "X-Real-Ip", real))
			if err != nil || got == "" {
				t.Fatalf("%s: ClientIP = %q, %v", k.header, got, err)
			}
			if _, err := netip.ParseAddr(got); err != nil {
				if _, err := netip.ParsePrefix(got); err != nil {
					t.Fatalf("%s: ClientIP = %q: neither an address nor a prefix", k.header, got)
				}
			}
			if only, _ := k.key(request("10.0.0.1:1", k.header, all[k.header])); only != got {
				t.Fatalf("%s: ClientIP = %q with every header, %q with the named one alone", k.header, got, only)
			}
		}
	})
}

// FuzzParseIPv4 checks that the fast IPv4 parse agrees with
// netip.ParseAddr: it accepts exactly the IPv4 addresses netip.ParseAddr
// does, as the same address, and leaves every other string to it; and that
// ClientIP, which parses an IPv4 peer and its port at once, keys every
// peer as it keys the host cut from it.
func FuzzParseIPv4(f *testing.F) {
	for _, s := range []string{
		"0.0.0.0", "1.2.3.4", "255.255.255.255", "198.51.100.7", "10.0.0.1",
		"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.00", "1..2.3",
		".1.2.3", "1.2.3.", "1.2.3.4:80", "::1", "::ffff:1.2.3.4", "1.2.3.4%eth0",
		"", "1", "1000.1.1.1", "1.2.3.-4", " 1.2.3.4",
		"1.2.3.4:", "1.2.3.4:1:2", "1.2.3.4::", "1.2.3.4.:80", "1.2.3.4x:80", "[1.2.3.4]:80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := httplimit.ParseIPv4(s)
		want, err := netip.ParseAddr(s)
		if ok != (err == nil && want.Is4()) || ok && got != want {
			t.Fatalf("ParseIPv4(%q) = %v, %v; netip.ParseAddr: %v, %v", s, got, ok, want, err)
		}
		// ClientIP keys a peer s as it keys the host hostOf cuts from it.
		key, err := httplimit.ClientIP()(request(s))
		host := httplimit.HostOf(s)
		wantKey, wantErr := httplimit.ClientIP()(request(host))
		if key != wantKey || (err == nil) != (wantErr == nil) {
			t.Fatalf("ClientIP of peer %q = %q, %v; of its host %q, %q, %v", s, key, err, host, wantKey, wantErr)
		}
	})
}

// TestAppendIPv4 checks that appendIPv4 writes every octet, in every
// position, as netip.Addr.String does.
func TestAppendIPv4(t *testing.T) {
	for v := range 256 {
		for pos := range 4 {
			ip := [4]byte{1, 20, 100, 255}
			ip[pos] = byte(v)
			if got, want := string(httplimit.AppendIPv4(nil, ip)), netip.AddrFrom4(ip).String(); got != want {
				t.Fatalf("appendIPv4(%v) = %s, want %s", ip, got, want)
			}
		}
	}
}

// TestClientIPKeyCache checks the keys of IPv4 clients not read as a
// string, which ClientIP caches: right for more clients than its slots,
// each asked again after the others; right from many goroutines at once
// (run under -race); and, for a client asked before, made with no
// allocation.
func TestClientIPKeyCache(t *testing.T) {
	key := httplimit.ClientIP()
	req := func(i int) (httplimit.Request, string) {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		return addrPortRequest{request("not consulted"), netip.AddrPortFrom(ip, 1)}, ip.String()
	}
	check := func(i int) {
		r, want := req(i)
		if got, err := key(r); got != want || err != nil {
			t.Errorf("ClientIP of %s = %q, %v", want, got, err)
		}
	}
	for range 2 {
		for i := range 1000 {
			check(i)
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				check((i * (g + 1)) % 300)
			}
		})
	}
	wg.Wait()
	r, _ := req(7)
	key(r)
	if allocs := testing.AllocsPerRun(100, func() { key(r) }); allocs > 0 {
		t.Errorf("%v allocations per key of a client asked before, want none", allocs)
	}
	proxied := httplimit.ClientIP(trust(t, "X-Real-IP", "10.0.0.0/8"))
	r = request("10.0.0.1:1", "X-Real-IP", "198.51.100.7")
	if got, err := proxied(r); got != "198.51.100.7" || err != nil {
		t.Errorf("ClientIP of a forwarded 198.51.100.7 = %q, %v", got, err)
	}
	if allocs := testing.AllocsPerRun(100, func() { proxied(r) }); allocs > 0 {
		t.Errorf("%v allocations per key of a forwarded client asked before, want none", allocs)
	}
}
