package mpstore

import (
	"fmt"
	"math"
	"slices"
	"time"
	"unsafe"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// The file is a sequence of int64 words in the host's byte order (it is
// shared by the processes of one host, never moved between hosts):
//
//	header  4096 bytes: magic, layout version, capacities, rates, the
//	        store's clock floor, the idle hint and the journal
//	index   maxKeys words, one per slot: indexEmpty, indexReleased, or the
//	        hash of the slot's key with the top bit set (in use)
//	slots   maxKeys slots of slotSize bytes each
//
// A slot of the sliding-window log (the default algorithm):
//
//	head, tail  sequence numbers: the log is the entries [head, tail)
//	names       nameRecords records of 8+keyLen bytes: 0 is the key,
//	            the others aliases (names put through a view of the key)
//	ring        maxEntries+1 entries {ts, before int64}, at seq % len
//	tags        one byte per ring entry: its name record (tagOther: none)
//
// A slot of a constant-state algorithm (GCRA, the counter; see
// constant.go):
//
//	head, tail  unused
//	names       one record of 8+keyLen bytes: the key
//	selector    int64: which of the two copies is the state
//	copies      two copies of the state, each stateWords int64s per rate
//
// The header is written once, by the process that creates the file, magic
// last; everything after it starts as zeros.
const (
	magic         = 0x31_54_53_50_4d_52_4c_47 // "GLRMPST1" read little-endian
	layoutVersion = 1
	headerSize    = 4096

	hMagic      = 0
	hVersion    = 8
	hMaxKeys    = 16
	hMaxEntries = 24
	hMaxKeyLen  = 32
	hSize       = 40
	hRateCount  = 48
	hAlgorithm  = 56  // the algorithm code: algLog (0, what files before it hold), algGCRA, algCounter
	hFloor      = 64  // int64: no PutNow stamps earlier (own cache line)
	hIdleAt     = 128 // int64: no slot in use is idle before; 0 unknown
	hJournal    = 192 // the journal, see journal.go
	hRates      = 512 // hRateCount pairs {limit, interval ms}

	maxRates = (headerSize - hRates) / 16

	nameRecords = 8 // the key and 7 aliases
)

// layout is where things are in a file of given capacities.
type layout struct {
	maxKeys    int64
	maxEntries int64
	ringLen    int64 // maxEntries + 1: ring[tail] holds the total
	keyLen     int64 // the longest key stored as is, rounded up to 8
	nameSize   int64 // a name record: a length word and keyLen bytes
	indexOff   int64
	slotsOff   int64
	slotSize   int64
	ringOff    int64 // within a slot
	tagsOff    int64 // within a slot
	size       int64 // of the file
	alg        algorithm
	nameRecs   int64 // name records per slot: nameRecords for the log, 1 otherwise
	stateOff   int64 // within a slot: the selector, then the two copies
	stateLen   int64 // bytes of one copy of the state
	maxWeight  int64 // units one log entry holds at most; 0: not checked (n·maxWeight could overflow)
}

// Offsets within a slot.
const (
	sHead  = 0
	sTail  = 8
	sNames = 16
)

func newLayout(cfg config, rates int) (layout, error) {
	l := layout{
		maxKeys:    int64(cfg.maxKeys),
		maxEntries: int64(cfg.maxEntries),
		ringLen:    int64(cfg.maxEntries) + 1,
		keyLen:     roundUp(int64(cfg.maxKeyLen), 8),
		alg:        cfg.alg,
		nameRecs:   nameRecords,
	}
	if cfg.maxWeight <= math.MaxInt64/l.maxEntries {
		l.maxWeight = cfg.maxWeight
	}
	l.nameSize = 8 + l.keyLen
	l.indexOff = headerSize
	l.slotsOff = roundUp(l.indexOff+8*l.maxKeys, 64)
	if l.alg == algLog {
		l.ringOff = sNames + nameRecords*l.nameSize
		l.tagsOff = l.ringOff + 16*l.ringLen
		l.slotSize = roundUp(l.tagsOff+l.ringLen, 64)
	} else {
		// No ring, no aliases: the key's record, then the state.
		l.ringLen, l.nameRecs = 0, 1
		l.stateOff = sNames + l.nameSize
		l.stateLen = 8 * l.alg.stateWords() * int64(rates)
		l.slotSize = roundUp(l.stateOff+8+2*l.stateLen, 64)
	}
	l.size = l.slotsOff + l.maxKeys*l.slotSize // no overflow: both are < 1<<33
	if l.size > maxFileSize {
		return l, fmt.Errorf("%w: mpstore: %d keys of %d entries need a %d-byte file, over the limit of %d",
			ratelimit.ErrInvalidArgument, l.maxKeys, l.maxEntries, l.size, int64(maxFileSize))
	}
	return l, nil
}

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }

// word returns the int64 at off in b, which is 8-aligned.
func word(b []byte, off int64) *int64 { return (*int64)(unsafe.Pointer(&b[off])) }

// writeHeader lays out an empty file's header in data; the file is all
// zeros past it. magic goes last, so a header without it is an interrupted
// creation.
func writeHeader(data []byte, l layout, rates ratelimit.Rates) {
	*word(data, hVersion) = layoutVersion
	*word(data, hMaxKeys) = l.maxKeys
	*word(data, hMaxEntries) = l.maxEntries
	*word(data, hMaxKeyLen) = l.keyLen
	*word(data, hSize) = l.size
	*word(data, hRateCount) = int64(len(rates))
	*word(data, hAlgorithm) = int64(l.alg)
	for i, r := range rates {
		*word(data, hRates+16*int64(i)) = r.Limit
		*word(data, hRates+16*int64(i)+8) = r.IntervalMillis()
	}
	storeWord(word(data, hMagic), magic)
}

// checkHeader reports whether header, read from an existing file of size
// bytes, describes the layout and rates asked for. fresh means the header
// is all zeros: a creation that did not finish, which the caller redoes. A
// store file of other rates or capacities is an error wrapping
// ratelimit.ErrInvalidArgument; one of the right layout whose size is not
// the header's is damaged (ErrDamaged).
func checkHeader(path string, header []byte, size int64, l layout, rates ratelimit.Rates) (fresh bool, err error) {
	if len(header) < headerSize {
		if len(header) >= 8 && *word(header, hMagic) == magic {
			return false, fmt.Errorf("%w: %s is %d bytes, shorter than a store file's header (truncated?)", ErrDamaged, path, size)
		}
		return false, fmt.Errorf("%w: mpstore: %s (%d bytes) is not a rate-limit store file", ratelimit.ErrInvalidArgument, path, size)
	}
	if *word(header, hMagic) != magic {
		for _, b := range header {
			if b != 0 {
				return false, fmt.Errorf("%w: mpstore: %s is not a rate-limit store file", ratelimit.ErrInvalidArgument, path)
			}
		}
		return true, nil
	}
	if v := *word(header, hVersion); v != layoutVersion {
		return false, fmt.Errorf("%w: mpstore: %s has layout version %d, this package reads %d", ratelimit.ErrInvalidArgument, path, v, layoutVersion)
	}
	if got := algorithm(*word(header, hAlgorithm)); got != l.alg {
		return false, fmt.Errorf("%w: mpstore: %s uses the algorithm %s, not %s", ratelimit.ErrInvalidArgument, path, got, l.alg)
	}
	if got := fileRates(header); !slices.Equal(got, rates) {
		return false, fmt.Errorf("%w: mpstore: %s enforces %s, not %s", ratelimit.ErrInvalidArgument, path, got, rates)
	}
	for _, f := range []struct {
		what      string
		off, want int64
	}{
		{"key slots", hMaxKeys, l.maxKeys},
		{"entries per key", hMaxEntries, l.maxEntries},
		{"bytes of key", hMaxKeyLen, l.keyLen},
	} {
		if got := *word(header, f.off); got != f.want {
			return false, fmt.Errorf("%w: mpstore: %s was created with %d %s, not %d", ratelimit.ErrInvalidArgument, path, got, f.what, f.want)
		}
	}
	if want := *word(header, hSize); want != l.size {
		return false, fmt.Errorf("%w: mpstore: %s says it is %d bytes, not the %d its capacities take", ErrDamaged, path, want, l.size)
	} else if want != size {
		return false, fmt.Errorf("%w: %s is %d bytes, its header says %d (truncated?)", ErrDamaged, path, size, want)
	}
	return false, nil
}

// fileRates reads the rates a header records.
func fileRates(header []byte) ratelimit.Rates {
	n := min(max(*word(header, hRateCount), 0), maxRates)
	rs := make(ratelimit.Rates, n)
	for i := range rs {
		rs[i] = ratelimit.Rate{
			Limit:    *word(header, hRates+16*int64(i)),
			Interval: time.Duration(*word(header, hRates+16*int64(i)+8)) * time.Millisecond,
		}
	}
	return rs
}
