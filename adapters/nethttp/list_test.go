package httplimit_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
)

// TestListSetErrors checks that a bad entry is an error naming it, and
// that the list keeps what it held.
func TestListSetErrors(t *testing.T) {
	for _, c := range []struct {
		prefixes, keys []string
		want           string
	}{
		{[]string{"10.0.0.0/8", "10.0.0.2/8"}, nil, `list entry prefix 10.0.0.2/8 has host bits set: write 10.0.0.0/8, or 10.0.0.2 for the one address`},
		{[]string{"2001:db8::1/32"}, nil, `list entry prefix 2001:db8::1/32 has host bits set`},
		{[]string{"example.com"}, nil, `list entry "example.com" is neither an IP address nor a CIDR prefix`},
		{[]string{"10.0.0.0/33"}, nil, `list entry "10.0.0.0/33" is neither`},
		{[]string{""}, nil, `list entry "" is neither`},
		{[]string{"fe80::1%eth0/64"}, nil, `list entry "fe80::1%eth0/64" is neither`},
		{nil, []string{"ann", ""}, `list key "": no request has an empty key`},
	} {
		l, err := httplimit.NewList([]string{"192.0.2.1"}, []string{"bob"})
		if err != nil {
			t.Fatal(err)
		}
		err = l.Set(c.prefixes, c.keys)
		if !errors.Is(err, ratelimit.ErrInvalidArgument) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Set(%q, %q): error %v, want one wrapping ErrInvalidArgument with %q", c.prefixes, c.keys, err, c.want)
		}
		if !httplimit.ListHas(l, netip.MustParseAddr("192.0.2.1"), "") || !httplimit.ListHas(l, netip.Addr{}, "bob") {
			t.Errorf("Set(%q, %q) failed and changed the list", c.prefixes, c.keys)
		}
		if l, err := httplimit.NewList(c.prefixes, c.keys); l != nil || err == nil {
			t.Errorf("NewList(%q, %q) = %v, %v; want nil and an error", c.prefixes, c.keys, l, err)
		}
	}
}

// TestListEmpty checks that a nil List, a zero one and one set to nothing
// hold nothing.
func TestListEmpty(t *testing.T) {
	set := new(httplimit.List)
	if err := set.Set([]string{"0.0.0.0/0", "::/0"}, []string{"k"}); err != nil {
		t.Fatal(err)
	}
	if err := set.Set(nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*httplimit.List{nil, new(httplimit.List), set} {
		for _, a := range []netip.Addr{{}, netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("::")} {
			if httplimit.ListHas(l, a, "k") {
				t.Errorf("an empty list holds %v or k", a)
			}
		}
	}
}

// TestListKeys checks that a key is matched whole and exactly.
func TestListKeys(t *testing.T) {
	l, err := httplimit.NewList(nil, []string{"ann", "a|b", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"ann": true, "a|b": true, "Ann": false, "an": false, "ann ": false, "": false, "192.0.2.1": true} {
		if got := httplimit.ListHas(l, netip.Addr{}, key); got != want {
			t.Errorf("key %q held: %v, want %v", key, got, want)
		}
	}
	// A key that reads as an address is a key, not a prefix.
	if httplimit.ListHas(l, netip.MustParseAddr("192.0.2.1"), "x") {
		t.Error("the key 192.0.2.1 holds the address 192.0.2.1")
	}
}

// TestListPrefixes checks prefix matching against netip.Prefix.Contains
// over each entry: random prefixes of every length, nested and
// overlapping, at each one's edges and at random.
func TestListPrefixes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fixed := []string{"0.0.0.0/0", "::ffff:10.0.0.0/104", "::ffff:0:0/95", "2001:db8::/32", "2001:db8::/48", "255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/1"}
	for round := range 50 {
		entries := fixed[:round%len(fixed)]
		for range rng.IntN(200) {
			entries = append(entries, randomPrefix(rng, 40).String())
		}
		l, err := httplimit.NewList(entries, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ps []netip.Prefix
		var probes []netip.Addr
		for _, e := range entries {
			p := naivePrefix(t, e)
			ps = append(ps, p)
			first := p.Masked().Addr()
			last := lastOf(p)
			probes = append(probes, first, first.Prev(), last, last.Next())
		}
		for range 200 {
			probes = append(probes, randomPrefix(rng, 0).Addr())
		}
		for _, a := range probes {
			if !a.IsValid() {
				continue
			}
			want := false
			for _, p := range ps {
				want = want || p.Contains(a)
			}
			if got := httplimit.ListHas(l, a, ""); got != want {
				t.Fatalf("round %d: %v held: %v, want %v (entries %q)", round, a, got, want, entries)
			}
		}
	}
}

// TestWithListsOrder checks where the lists judge a request: after its
// key, before its cost; and that a peer that is not an IP address matches
// no prefix.
func TestWithListsOrder(t *testing.T) {
	deny, err := httplimit.NewList([]string{"0.0.0.0/0", "::/0"}, []string{"mallory"})
	if err != nil {
		t.Fatal(err)
	}
	costed := 0
	cost := httplimit.WithCost(func(httplimit.Request) (int64, error) { costed++; return 1, nil })
	h := httplimit.Middleware(newLimiter(t, nil, ratelimit.PerMinute(10)),
		httplimit.WithKey(httplimit.Header("X-User")), cost, httplimit.WithLists(nil, deny))(discard)
	for _, c := range []struct {
		peer, user string
		status     int
		costed     int // the cost function's calls so far
	}{
		{"192.0.2.1:1", "ann", http.StatusForbidden, 0},
		{"[2001:db8::1]:1", "ann", http.StatusForbidden, 0},
		{"pipe", "mallory", http.StatusForbidden, 0},
		{"pipe", "ann", http.StatusOK, 1},
		{"192.0.2.1:1", "", http.StatusBadRequest, 1},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		r.RemoteAddr = c.peer
		if c.user != "" {
			r.Header.Set("X-User", c.user)
		}
		h.ServeHTTP(w, r)
		if w.Code != c.status || costed != c.costed {
			t.Errorf("%s as %q: status %d, cost function called %d times; want %d and %d", c.peer, c.user, w.Code, costed, c.status, c.costed)
		}
	}
}

// naivePrefix parses a list entry with netip alone: an address is its
// host, and an IPv4-mapped prefix of 96 bits or more is the IPv4 one.
func naivePrefix(t *testing.T, e string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(e)
	if err != nil {
		a := netip.MustParseAddr(e)
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

// lastOf returns the last address of p.
func lastOf(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// randomPrefix returns a masked prefix, IPv4 or IPv6 or IPv4-mapped IPv6,
// with up to spread host bits.
func randomPrefix(rng *rand.Rand, spread int) netip.Prefix {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	a := netip.AddrFrom16(b)
	switch rng.IntN(3) {
	case 0:
		a = netip.AddrFrom4([4]byte(b[:4]))
	case 1:
		a = netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: b[0], 13: b[1], 14: b[2], 15: b[3]})
	}
	bits := a.BitLen() - rng.IntN(min(a.BitLen(), spread)+1)
	p, _ := a.Prefix(bits)
	return p
}

// benchList returns a list of 1000 IPv4 and 1000 IPv6 prefixes, of /16
// to /32 and /112 to /128, and 1000 keys, and addresses to look up, half
// of them in the list; 192.0.2.1 is not.
func benchList(b *testing.B) (*httplimit.List, []netip.Addr) {
	b.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	var prefixes, keys []string
	var probes []netip.Addr
	for len(prefixes) < 2000 {
		p := randomPrefix(rng, 16)
		if (len(prefixes) < 1000) == p.Addr().Is4() {
			prefixes = append(prefixes, p.String())
			keys = append(keys, fmt.Sprint("user:", len(keys)))
			probes = append(probes, p.Addr(), randomPrefix(rng, 0).Addr())
		}
	}
	l, err := httplimit.NewList(prefixes, keys)
	if err != nil {
		b.Fatal(err)
	}
	if httplimit.ListHas(l, netip.MustParseAddr("192.0.2.1"), "") {
		b.Fatal("the list holds 192.0.2.1")
	}
	return l, probes
}

// BenchmarkList times a lookup of an address and a key that is not there
// in benchList's list, for addresses of each family.
func BenchmarkList(b *testing.B) {
	l, probes := benchList(b)
	for _, family := range []string{"v4", "v6"} {
		b.Run(family, func(b *testing.B) {
			var as []netip.Addr
			for _, a := range probes {
				if a.Is4() == (family == "v4") {
					as = append(as, a)
				}
			}
			i := 0
			for b.Loop() {
				httplimit.ListHas(l, as[i%len(as)], "user:x")
				i++
			}
		})
	}
}
