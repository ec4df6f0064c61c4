package redisstore

// Key scheme. A name's log lives under one key:
//
//	prefix + "{" + h + "}" + name
//
// where h is the 64-bit FNV-1a hash of the name's bytes in 16 lowercase hex
// digits. The braces make h the key's Redis Cluster hash tag, so a name's
// keys share one slot whatever bytes the name holds (braces, quotes, NUL,
// any UTF-8 or none); names spread over the slots by their hash. The full
// name follows the tag, so the key determines the name: two names never
// share a key, even when their hashes collide. A prefix should not contain
// "{": its first brace would become the hash tag instead (still correct, but
// every name would land in one slot).
//
// A name's GCRA or sliding-window-counter state lives under
//
//	prefix + "g{" + h + "}" + name   or   prefix + "c{" + h + "}" + name
//
// so that under one prefix the three algorithms' keys never collide (the
// byte after the prefix tells them apart), whatever the names, while a
// name's keys share its hash tag, hence its slot.

import "strings"

const hexDigits = "0123456789abcdef"

// key returns the key of name's state under the Store's algorithm.
func (s *Store) key(name string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	var b strings.Builder // one allocation, no copy
	b.Grow(len(s.prefix) + len(s.mark) + 18 + len(name))
	b.WriteString(s.prefix)
	b.WriteString(s.mark)
	b.WriteByte('{')
	for shift := 60; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(h>>shift)&0xf])
	}
	b.WriteByte('}')
	b.WriteString(name)
	return b.String()
}
