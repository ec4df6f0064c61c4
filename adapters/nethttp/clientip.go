package httplimit

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/gorate/ratelimit"
)

// maxHops bounds how many forwarding hops ClientIP walks: a longer chain of
// trusted proxies keys the request by the last one reached, so a huge
// header costs bounded work and never a bypass.
const maxHops = 32

// IPOption configures [ClientIP].
type IPOption func(*ipConfig)

// The kinds of forwarding header: the two lists a proxy appends to, walked
// from the right, and a header holding one address.
const (
	headerSingle = iota
	headerXFF
	headerForwarded
)

type ipConfig struct {
	trusted []netip.Prefix
	header  string // canonical; "" when no proxy is trusted
	kind    int
	v6Bits  int
	v4Keys  ipKeys
}

// TrustProxies names the proxies in front of the server and the one request
// header they set (in any case). Each proxy is an address ("10.0.0.2",
// "2001:db8::7": that host alone) or a CIDR prefix ("10.0.0.0/8"),
// surrounding spaces ignored. Without it, ClientIP keys by the peer's
// address and reads no header.
//
// When the peer is one of the proxies, ClientIP reads that header and no
// other: a header the proxy does not set holds whatever the client wrote.
// When the trusted peer sent no such header, or a value that is not an IP
// address, the key is the peer's own address.
//
//   - "X-Forwarded-For" and RFC 7239 "Forwarded" are lists each proxy
//     appends to. ClientIP walks the list from the right, over every header
//     line, skipping trusted addresses: the first address outside them is
//     the client. A client can prepend anything it likes, but cannot get
//     past the address the first trusted proxy appended. A hop that does not
//     parse (garbage, "unknown", an obfuscated identifier) ends the walk at
//     the trusted proxy that forwarded it.
//   - Any other header (X-Real-IP, CF-Connecting-IP, True-Client-IP, …)
//     holds the client's address, which the proxy sets and a client cannot
//     add to; it is taken as it is. Should it hold several values (several
//     lines, or a comma-separated list), the last one is taken.
//
// Recipes:
//
//	// nginx: proxy_set_header X-Real-IP $remote_addr;
//	httplimit.TrustProxies("X-Real-IP", "10.0.0.2")
//	// nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
//	httplimit.TrustProxies("X-Forwarded-For", "10.0.0.2")
//	// Cloudflare: its address ranges (https://www.cloudflare.com/ips/)
//	httplimit.TrustProxies("CF-Connecting-IP", "173.245.48.0/20", "2400:cb00::/32")
//	// AWS Application Load Balancer (appends to X-Forwarded-For): the VPC's CIDR
//	httplimit.TrustProxies("X-Forwarded-For", "172.31.0.0/16")
//
// The error wraps [ratelimit.ErrInvalidArgument] and names the value when
// header is not a header name, or a proxy is neither an address nor a
// prefix, or is a prefix with host bits set ("10.0.0.2/8": write
// 10.0.0.0/8, or 10.0.0.2 for the one host): nothing is widened. An
// IPv4-mapped IPv6 address or prefix counts as the IPv4 one it maps, as
// ClientIP counts such addresses. Several TrustProxies options add up their
// proxies, and must name the same header.
func TrustProxies(header string, proxies ...string) (IPOption, error) {
	if _, err := netip.ParseAddr(header); err == nil || !isToken(header) {
		return nil, fmt.Errorf("%w: TrustProxies: %q is not a header name: name the one header your proxy sets, such as X-Forwarded-For or X-Real-IP", ratelimit.ErrInvalidArgument, header)
	}
	header = http.CanonicalHeaderKey(header)
	ps := make([]netip.Prefix, len(proxies))
	for i, raw := range proxies {
		p, err := parsePrefix("trusted proxy", raw)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return func(c *ipConfig) {
		if c.header != "" && c.header != header {
			panic(fmt.Sprintf("httplimit: TrustProxies named both %s and %s: name the one header your proxies set", c.header, header))
		}
		c.header = header
		switch header {
		case "X-Forwarded-For":
			c.kind = headerXFF
		case "Forwarded":
			c.kind = headerForwarded
		default:
			c.kind = headerSingle
		}
		c.trusted = append(c.trusted, ps...)
	}, nil
}

// parsePrefix parses an address (that host alone) or a CIDR prefix,
// surrounding spaces ignored, an IPv4-mapped one as the IPv4 one it maps;
// the error names it as what, with the value.
func parsePrefix(what, raw string) (netip.Prefix, error) {
	v := strings.TrimSpace(raw)
	var p netip.Prefix
	var err error
	if strings.Contains(v, "/") {
		p, err = netip.ParsePrefix(v)
	} else {
		var a netip.Addr
		if a, err = netip.ParseAddr(v); err == nil {
			a = a.WithZone("")
			p = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil {
		return p, fmt.Errorf("%w: %s %q is neither an IP address nor a CIDR prefix", ratelimit.ErrInvalidArgument, what, raw)
	}
	if m := p.Masked(); m != p {
		return p, fmt.Errorf("%w: %s prefix %s has host bits set: write %s, or %s for the one address",
			ratelimit.ErrInvalidArgument, what, p, m, p.Addr())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p, nil
}

// isToken reports whether s is a non-empty HTTP token (RFC 9110), as a
// header name must be.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0) {
			return false
		}
	}
	return s != ""
}

// IPv6Prefix sets how many leading bits of an IPv6 address form the key.
// Default 64: one host usually holds a whole /64, so keying by the full
// address would let it use 2^64 keys. Values are clamped to [0, 128].
func IPv6Prefix(bits int) IPOption {
	return func(c *ipConfig) { c.v6Bits = min(max(bits, 0), 128) }
}

// ClientIP keys requests by the client's IP address: the peer's address
// (RemoteAddr), or, behind proxies named by [TrustProxies], the address
// they forwarded in the one header they set. IPv4 keys are the dotted
// address; IPv6 keys are the masked prefix ([IPv6Prefix]) in CIDR form;
// IPv4-mapped IPv6 addresses count as IPv4. A peer that is not an IP
// address is an error wrapping [ratelimit.ErrInvalidArgument] (the
// middleware answers it 400). ClientIP keeps the keys it formats for IPv4
// clients (fiber's peers, the addresses proxies forward), those of up to
// 256 recent clients, so that a client's next request allocates none.
// ClientIP panics when an option is nil or two TrustProxies options
// name different headers.
func ClientIP(opts ...IPOption) KeyFunc {
	c := newIPConfig("ClientIP", opts)
	return c.key
}

// newIPConfig applies opts, panicking, naming fn, when one is nil.
func newIPConfig(fn string, opts []IPOption) *ipConfig {
	c := &ipConfig{v6Bits: 64}
	for _, o := range opts {
		if o == nil {
			panic("httplimit: " + fn + ": nil IPOption")
		}
		o(c)
	}
	return c
}

func (c *ipConfig) key(r Request) (string, error) {
	addr, host := c.client(r)
	if !addr.IsValid() {
		return "", missing("peer address %q is not an IP address", r.RemoteAddr())
	}
	if host != "" && addr.Is4() && strings.IndexByte(host, ':') < 0 {
		return host, nil // canonical already: no allocation
	}
	return c.format(addr), nil
}

// client returns the client's address: the peer's, or the one the trusted
// peer forwarded; the zero Addr when the peer is not an IP address. host is
// the peer as RemoteAddr wrote it when it was read and addr is the peer's
// address, else "".
func (c *ipConfig) client(r Request) (addr netip.Addr, host string) {
	var peer netip.Addr
	if p, ok := r.(addrPorter); ok {
		peer = p.RemoteAddrPort().Addr().WithZone("").Unmap()
	}
	if !peer.IsValid() {
		ra := r.RemoteAddr()
		// An IPv4 host, bare or with a port, is host and parsed at once.
		a, n, ok := parseIPv4(ra)
		if ok && (n == len(ra) || ra[n] == ':' && strings.IndexByte(ra[n+1:], ':') < 0) {
			peer, host = a, ra[:n]
		} else {
			host = hostOf(ra)
			if peer, ok = parseIP(host); !ok {
				return netip.Addr{}, ""
			}
		}
	}
	if len(c.trusted) > 0 && c.trusts(peer) {
		if addr = c.forwarded(r, peer); addr != peer {
			return addr, ""
		}
	}
	return peer, host
}

// addrPorter is a [Request] that has its peer's address parsed already.
type addrPorter interface {
	RemoteAddrPort() netip.AddrPort
}

// format returns the key of addr.
func (c *ipConfig) format(addr netip.Addr) string {
	if addr.Is4() {
		return c.v4Keys.get(addr.As4())
	}
	if c.v6Bits == 128 {
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

// forwarded returns the client's address that the trusted peer forwarded
// in c.header, or peer.
func (c *ipConfig) forwarded(r Request, peer netip.Addr) netip.Addr {
	vs := r.HeaderValues(c.header)
	if len(vs) == 0 {
		return peer
	}
	if c.kind == headerSingle {
		v := vs[len(vs)-1]
		a, ok := parseIP(hostOf(strings.TrimSpace(v[strings.LastIndexByte(v, ',')+1:])))
		if !ok {
			return peer
		}
		return a
	}
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
	if c.kind == headerXFF {
		return walk(vs, last, visit)
	}
	return walk(vs, last, func(elem string) (netip.Addr, bool) {
		v, ok := forwardedFor(elem)
		if !ok {
			return last, false
		}
		return visit(v)
	})
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
	if a, n, ok := parseIPv4(s); ok && n == len(s) {
		return a, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// parseIPv4 parses the dotted-decimal IPv4 address that s starts with,
// four fields of at most 255 without leading zeros, as netip.ParseAddr
// would, for a fraction of its cost: the common peer. It returns the
// address and its length in s, and false when s does not start with one,
// which netip.ParseAddr then judges.
func parseIPv4(s string) (_ netip.Addr, n int, ok bool) {
	var ip, v uint32     // the fields done, the field being read
	digits, dots := 0, 0 // its digits, the dots before it
	for ; n < len(s); n++ {
		if c := uint32(s[n]) - '0'; c <= 9 {
			if digits == 3 || digits == 1 && v == 0 {
				return netip.Addr{}, 0, false // too long, or a leading zero
			}
			v, digits = v*10+c, digits+1
			continue
		}
		if s[n] != '.' || dots == 3 {
			break
		}
		if digits == 0 || v > 255 {
			return netip.Addr{}, 0, false
		}
		ip, v, digits, dots = ip<<8|v, 0, 0, dots+1
	}
	if dots != 3 || digits == 0 || v > 255 {
		return netip.Addr{}, 0, false
	}
	ip = ip<<8 | v
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), n, true
}

// appendIPv4 appends ip in dotted decimal, as netip.Addr.String writes it,
// in fewer instructions: the key of every IPv4 peer not read as a string.
func appendIPv4(b []byte, ip [4]byte) []byte {
	for i, v := range ip {
		if i > 0 {
			b = append(b, '.')
		}
		if v >= 100 {
			b = append(b, '0'+v/100)
			v %= 100
		} else if v < 10 {
			b = append(b, '0'+v)
			continue
		}
		b = append(b, digitPairs[2*int(v)], digitPairs[2*int(v)+1])
	}
	return b
}

// ipKeySlots is the size of a cache of IPv4 keys: a power of two.
const ipKeySlots = 256

// ipKeys caches the keys of the IPv4 addresses a ClientIP formatted, so
// that a client's next requests format and allocate nothing. It is a table
// of slots, each holding the key of the last address hashed to it:
// bounded, lock-free and safe for concurrent use, its keys immutable. A
// miss costs what no cache would: the formatting and one allocation, the
// slot's new key. Its zero value is empty.
type ipKeys struct {
	slots [ipKeySlots]atomic.Pointer[ipKey]
}

// ipKey is the key of an IPv4 address, a string over buf, which is never
// written once the key is made.
type ipKey struct {
	ip  [4]byte
	key string
	buf [len("255.255.255.255")]byte
}

// get returns the key of ip, its dotted-decimal form.
func (c *ipKeys) get(ip [4]byte) string {
	h := binary.BigEndian.Uint32(ip[:]) * 0x9e3779b1
	slot := &c.slots[h>>24] // the top 8 bits: ipKeySlots is 1<<8
	if k := slot.Load(); k != nil && k.ip == ip {
		return k.key
	}
	k := &ipKey{ip: ip}
	b := appendIPv4(k.buf[:0], ip)
	k.key = unsafe.String(unsafe.SliceData(b), len(b))
	slot.Store(k)
	return k.key
}
