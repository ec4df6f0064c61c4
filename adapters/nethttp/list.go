package httplimit

import (
	"fmt"
	"net/netip"
	"sync/atomic"

	"github.com/gorate/ratelimit"
)

// List is a set of client addresses (IP prefixes) and keys, for
// [WithLists]: an allow or a deny list. Its zero value is an empty list,
// ready to use. A List is safe for concurrent use: [List.Set] replaces its
// entries at once while requests read them, and a request judged during a
// Set sees either the old entries or the new, never a mix.
type List struct {
	e atomic.Pointer[entries]
}

// NewList returns a list of prefixes and keys, as [List.Set] sets them.
func NewList(prefixes, keys []string) (*List, error) {
	l := new(List)
	if err := l.Set(prefixes, keys); err != nil {
		return nil, err
	}
	return l, nil
}

// Set replaces the list's entries with prefixes and keys. Each prefix is
// an IP address ("192.0.2.7", "2001:db8::7": that host alone) or a CIDR
// prefix ("10.0.0.0/8", "2001:db8::/32"), surrounding spaces ignored; an
// IPv4-mapped IPv6 one counts as the IPv4 one it maps, and an IPv6 prefix
// never holds an IPv4 address. A prefix holds a request when it holds the
// client's address, resolved as [ClientIP] resolves it, and whole: an IPv6
// client is matched by its full address, whatever [IPv6Prefix] its key
// uses. A key holds a request whose key, as [WithKey] computes it, is the
// same string.
//
// The error wraps [ratelimit.ErrInvalidArgument] and names the entry when
// a prefix is neither an address nor a CIDR prefix, or is a prefix with
// host bits set ("10.0.0.2/8": write 10.0.0.0/8, or 10.0.0.2 for the one
// host), or a key is "", which no request has; the list is then left as it
// was.
func (l *List) Set(prefixes, keys []string) error {
	e := &entries{}
	for _, raw := range prefixes {
		p, err := parsePrefix("list entry", raw)
		if err != nil {
			return err
		}
		if p.Addr().Is4() {
			e.v4 = append(e.v4, spanOf(p, 96))
		} else {
			e.v6 = append(e.v6, spanOf(p, 0))
		}
	}
	e.v4, e.v6 = merge(e.v4), merge(e.v6)
	if len(keys) > 0 {
		e.keys = make(map[string]struct{}, len(keys))
	}
	for _, k := range keys {
		if k == "" {
			return fmt.Errorf("%w: list key %q: no request has an empty key", ratelimit.ErrInvalidArgument, k)
		}
		e.keys[k] = struct{}{}
	}
	l.e.Store(e)
	return nil
}

// load returns the list's entries; a nil List has none.
func (l *List) load() *entries {
	if l != nil {
		if e := l.e.Load(); e != nil {
			return e
		}
	}
	return &noEntries
}

// entries are what a List holds at one time, immutable: its prefixes as
// sorted, disjoint spans of addresses, IPv4 and IPv6 apart, and its keys.
type entries struct {
	v4, v6 []span
	keys   map[string]struct{}
}

var noEntries entries

// hasPrefixes reports whether e holds any prefix.
func (e *entries) hasPrefixes() bool { return len(e.v4)+len(e.v6) > 0 }

// has reports whether e holds addr (the zero Addr: no address) or key.
func (e *entries) has(addr netip.Addr, key string) bool {
	if _, ok := e.keys[key]; ok {
		return true
	}
	if !addr.IsValid() {
		return false
	}
	spans := e.v6
	if addr.Is4() {
		spans = e.v4
	}
	return holds(spans, u128Of(addr))
}

// lists are the allow and deny lists of [WithLists], and how they resolve
// the client's address.
type lists struct {
	allow, deny *List
	ip          *ipConfig
}

// judge reports whether the lists allow or deny the request r keyed key
// (deny wins: never both), each list read once.
func (ls *lists) judge(r Request, key string) (allow, deny bool) {
	a, d := ls.allow.load(), ls.deny.load()
	var addr netip.Addr // the zero Addr, matching no prefix, when unread
	if a.hasPrefixes() || d.hasPrefixes() {
		addr, _ = ls.ip.client(r)
	}
	if d.has(addr, key) {
		return false, true
	}
	return a.has(addr, key), false
}
