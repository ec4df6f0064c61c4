package pgstore

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
)

// maxRawKey is the longest key the tables keep as it is. A btree index
// entry holds at most 2704 bytes (with 8 KiB pages), so the log's index on
// (key, ts, before) refuses a key of 2677 bytes or more that does not
// compress.
const maxRawKey = 2600

// digestMark starts the stored form of a key kept by its digest. It starts
// with a byte that is never in UTF-8 text, and no key starting with it is
// kept as it is, so that a digest's form is never a key's raw form.
const digestMark = "\xffgorate/ratelimit sha256\x00"

// storedKey returns the bytes the tables keep for key, in the key column
// and under the key's advisory lock: key itself, or, for a key longer than
// maxRawKey bytes or one starting with digestMark, digestMark followed by
// the key's SHA-256 and its length in 8 big-endian bytes (65 bytes in all).
// Two keys share a stored form only if they are equal or their SHA-256
// digests and lengths collide. It is never nil, which pgx would send as
// NULL.
func storedKey(key string) []byte {
	if len(key) <= maxRawKey && !strings.HasPrefix(key, digestMark) {
		return append([]byte{}, key...)
	}
	sum := sha256.Sum256([]byte(key))
	b := make([]byte, 0, len(digestMark)+len(sum)+8)
	b = append(b, digestMark...)
	b = append(b, sum[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(len(key)))
}
