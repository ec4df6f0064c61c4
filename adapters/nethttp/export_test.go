package httplimit

import (
	"net/http"
	"net/netip"
)

// NewRequest returns the Request of r, for the tests of key functions.
func NewRequest(r *http.Request) Request { return request{r} }

// ListHas reports whether l holds addr or key.
func ListHas(l *List, addr netip.Addr, key string) bool { return l.load().has(addr, key) }

// ParseIPv4 is parseIPv4, for its test against netip.ParseAddr.
func ParseIPv4(s string) (netip.Addr, bool) {
	a, n, ok := parseIPv4(s)
	return a, ok && n == len(s)
}

// HostOf is hostOf, for the test of ClientIP's own IPv4 peers.
func HostOf(s string) string { return hostOf(s) }

// AppendIPv4 is appendIPv4, for its test against netip.Addr.String.
func AppendIPv4(b []byte, ip [4]byte) []byte { return appendIPv4(b, ip) }
