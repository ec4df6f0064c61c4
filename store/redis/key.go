package redisstore

// Key scheme. A key's log lives under one Redis key:
//
//	prefix + "{" + h + "}" + key
//
// where h is the 64-bit FNV-1a hash of the key's bytes in 16 lowercase hex
// digits. The braces make h the Redis key's Cluster hash tag, so its slot
// does not depend on what bytes the key holds (braces, quotes, NUL, any
// UTF-8 or none); keys spread over the slots by their hash. The whole key
// follows the tag, so the Redis key determines the key: two keys never share
// state, even when their hashes collide. A prefix should not contain "{": its
// first brace would become the hash tag instead (still correct, but every
// key would land in one slot).
//
// A key's GCRA or sliding-window-counter state lives under
//
//	prefix + "g{" + h + "}" + key   or   prefix + "c{" + h + "}" + key
//
// so that under one prefix the three algorithms' keys never collide (the
// byte after the prefix tells them apart), whatever the keys, while a key's
// Redis keys share its hash tag, hence its slot.
//
// A key's block state (see block.lua) lives beside its state, a "b" after
// the algorithm's mark:
//
//	prefix + "b{" + h + "}" + key,   prefix + "gb{" ...   or   prefix + "cb{" ...
//
// again in the key's slot, and apart from every state key, since what
// precedes the first brace tells them apart.

import "strings"

const hexDigits = "0123456789abcdef"

// key returns the Redis key of key's state under the Store's algorithm.
func (s *Store) key(key string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	var b strings.Builder // one allocation, no copy
	b.Grow(len(s.prefix) + len(s.mark) + 18 + len(key))
	b.WriteString(s.prefix)
	b.WriteString(s.mark)
	b.WriteByte('{')
	for shift := 60; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(h>>shift)&0xf])
	}
	b.WriteByte('}')
	b.WriteString(key)
	return b.String()
}

// blockKey returns the Redis key of the block state beside k, a Redis key
// of the Store's.
func (s *Store) blockKey(k string) string {
	i := len(s.prefix) + len(s.mark)
	return k[:i] + "b" + k[i:]
}
