package pgstore

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
)

// maxRawName is the longest name the tables keep as it is. A btree index
// entry holds at most 2704 bytes (with 8 KiB pages), so the log's index on
// (name, ts, before) refuses a name of 2677 bytes or more that does not
// compress; every name up to 2600 bytes is stored as before.
const maxRawName = 2600

// digestMark starts the stored form of a name kept by its digest. It starts
// with a byte that is never in UTF-8 text, and no name starting with it is
// kept as it is, so that a digest's form is never a name's raw form.
const digestMark = "\xffgorate/ratelimit sha256\x00"

// storedName returns the bytes the tables keep for name, in the name
// column and under the name's advisory lock: name itself, or, for a name
// longer than maxRawName bytes or one starting with digestMark, digestMark
// followed by the name's SHA-256 and its length in 8 big-endian bytes (65
// bytes in all). Two names share a stored form only if they are equal or
// their SHA-256 digests and lengths collide; names stored as they are keep
// the rows they had before long names were digested.
func storedName(name string) []byte {
	if len(name) <= maxRawName && !strings.HasPrefix(name, digestMark) {
		return bytea(name)
	}
	sum := sha256.Sum256([]byte(name))
	b := make([]byte, 0, len(digestMark)+len(sum)+8)
	b = append(b, digestMark...)
	b = append(b, sum[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(len(name)))
}
