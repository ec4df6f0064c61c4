package httplimit

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrNoClientIP reports a request whose peer address is not an IP address
// (a Unix socket, a test that set no RemoteAddr).
var ErrNoClientIP = errors.New("ratelimit: no client IP")

// maxHops bounds how many forwarding hops ClientIP walks: a longer chain of
// trusted proxies keys the request by the last one reached, so a huge
// header costs bounded work and never a bypass.
const maxHops = 32

// IPOption configures [ClientIP].
type IPOption func(*ipConfig)

type ipConfig struct {
	trusted []netip.Prefix
	v6Bits  int
}

// TrustProxies names the proxies whose forwarding headers ClientIP believes.
// Default: none, so the key is always the peer's address. When the peer is
// in one of prefixes, ClientIP reads the RFC 7239 Forwarded header, else
// X-Forwarded-For, else X-Real-IP, and walks the chain from the right,
// skipping addresses in prefixes: the first address outside them is the
// client. A client can prepend anything it likes to those headers, but
// cannot get past the address the first trusted proxy appended. A hop that
// does not parse (garbage, "unknown", an obfuscated identifier) ends the
// walk at the trusted proxy that forwarded it.
func TrustProxies(prefixes ...netip.Prefix) IPOption {
	return func(c *ipConfig) {
		for _, p := range prefixes {
			c.trusted = append(c.trusted, p.Masked())
		}
	}
}

// IPv6Prefix sets how many leading bits of an IPv6 address form the key.
// Default 64: one host usually holds a whole /64, so keying by the full
// address would let it use 2^64 keys. Values are clamped to [0, 128].
func IPv6Prefix(bits int) IPOption {
	return func(c *ipConfig) { c.v6Bits = min(max(bits, 0), 128) }
}

// ClientIP keys requests by the client's IP address: the peer's address
// (RemoteAddr), or, behind proxies named by [TrustProxies], the address they
// forwarded. IPv4 keys are the dotted address; IPv6 keys are the masked
// prefix ([IPv6Prefix]) in CIDR form; IPv4-mapped IPv6 addresses count as
// IPv4. A peer that is not an IP address is an error wrapping
// [ErrNoClientIP].
func ClientIP(opts ...IPOption) KeyFunc {
	c := ipConfig{v6Bits: 64}
	for _, o := range opts {
		o(&c)
	}
	return c.key
}

func (c *ipConfig) key(r Request) (string, error) {
	remote := r.RemoteAddr()
	host := hostOf(remote)
	peer, ok := parseIP(host)
	if !ok {
		return "", fmt.Errorf("%w: peer address %q", ErrNoClientIP, remote)
	}
	addr := peer
	if len(c.trusted) > 0 && c.trusts(peer) {
		addr = c.forwarded(r, peer)
	}
	if addr == peer && addr.Is4() && strings.IndexByte(host, ':') < 0 {
		return host, nil // canonical already: no allocation
	}
	return c.format(addr), nil
}

// format returns the key of addr.
func (c *ipConfig) format(addr netip.Addr) string {
	if addr.Is4() || c.v6Bits == 128 {
		return addr.String()
	}
	p, _ := addr.Prefix(c.v6Bits)
	return p.String()
}

func (c *ipConfig) trusts(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwarded walks the first forwarding header present from the right and
// returns the client's address; peer is trusted.
func (c *ipConfig) forwarded(r Request, peer netip.Addr) netip.Addr {
	last := peer
	hops := 0
	// visit judges one hop; it reports whether the walk goes on.
	visit := func(hop string) (netip.Addr, bool) {
		hops++
		a, ok := parseIP(hostOf(strings.TrimSpace(hop)))
		if !ok || hops > maxHops {
			return last, false
		}
		if !c.trusts(a) {
			return a, false
		}
		last = a
		return a, true
	}
	if vs := r.HeaderValues("Forwarded"); len(vs) > 0 {
		return walk(vs, last, func(elem string) (netip.Addr, bool) {
			v, ok := forwardedFor(elem)
			if !ok {
				return last, false
			}
			return visit(v)
		})
	}
	if vs := r.HeaderValues("X-Forwarded-For"); len(vs) > 0 {
		return walk(vs, last, visit)
	}
	if v := r.Header("X-Real-Ip"); v != "" {
		a, _ := visit(v)
		return a
	}
	return peer
}

// walk calls visit on each comma-separated element of values, rightmost
// first, until it reports false, and returns the address of the last call
// (or last when there was none).
func walk(values []string, last netip.Addr, visit func(string) (netip.Addr, bool)) netip.Addr {
	a := last
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for {
			j := strings.LastIndexByte(v, ',')
			var ok bool
			a, ok = visit(v[j+1:])
			if !ok {
				return a
			}
			if j < 0 {
				break
			}
			v = v[:j]
		}
	}
	return a
}

// forwardedFor returns the value of the for parameter of one element of an
// RFC 7239 Forwarded header, unquoted.
func forwardedFor(elem string) (string, bool) {
	for elem != "" {
		var pair string
		pair, elem, _ = strings.Cut(elem, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "for") {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		return v, true
	}
	return "", false
}

// hostOf strips a port and IPv6 brackets: "1.2.3.4:80" → "1.2.3.4",
// "[::1]:80" → "::1", "[::1]" → "::1"; a bare address is returned as is.
func hostOf(s string) string {
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i > 0 {
			return s[1:i]
		}
		return s
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.IndexByte(s, ':') == i {
		return s[:i] // one colon: IPv4 with a port
	}
	return s
}

// parseIP parses an IP address, dropping an IPv6 zone and unmapping an
// IPv4-mapped address.
func parseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}
