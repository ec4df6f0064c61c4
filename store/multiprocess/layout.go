package mpstore

import (
	"fmt"
	"unsafe"

	"github.com/gorate/ratelimit"
)

// The file is a sequence of int64 words in the host's byte order (it is
// shared by the processes of one host, never moved between hosts):
//
//	header  4096 bytes: magic, layout version, algorithm, capacities and
//	        the idle hint
//	journal under the log only: a count word, then max(2*maxEntries, 5)
//	        pairs {offset, value} (see journal.go)
//	index   maxKeys words, one per slot: indexEmpty, indexReleased, or the
//	        hash of the slot's key with the top bit set (in use)
//	slots   maxKeys slots of slotSize bytes each
//
// Every slot starts with its key record: a length word and keyLen bytes.
// A slot of the sliding-window log (the default algorithm) goes on with
//
//	head, tail  sequence numbers: the log is the entries [head, tail)
//	keep        the largest interval, in ms, of the key's last take
//	wmax        no entry holds more units
//	block       the key's block (see block.go): 5 words, changed through
//	            the journal
//	ring        maxEntries+1 entries {ts, before int64}, at seq % len
//
// and a slot of a constant-state algorithm (GCRA, the counter; see
// constant.go) with
//
//	selector    int64: which of the two copies is the state
//	copies      two copies of the state: a count of rates, then maxRates
//	            records {limit, interval ms, state words}, then the key's
//	            block (5 words)
//
// The header is written once, by the process that creates the file, magic
// last; everything after it starts as zeros.
const (
	magic         = 0x31_54_53_50_4d_52_4c_47 // "GLRMPST1" read little-endian
	layoutVersion = 3
	headerSize    = 4096

	hMagic      = 0
	hVersion    = 8
	hMaxKeys    = 16
	hMaxEntries = 24 // 0 under a constant-state algorithm
	hMaxKeyLen  = 32
	hSize       = 40
	hMaxRates   = 48 // 0 under the log
	hAlgorithm  = 56
	hIdleAt     = 64 // int64: no slot in use is idle before; 0 unknown (own cache line)
)

// Offsets within a log slot, after its key record.
const (
	lHead  = 0
	lTail  = 8
	lKeep  = 16
	lWMax  = 24
	lBlock = 32 // blockWords words
	lWords = lBlock + 8*blockWords
)

// layout is where things are in a file of given capacities.
type layout struct {
	alg        algorithm
	maxKeys    int64
	maxEntries int64 // 0 under a constant-state algorithm
	maxRates   int64 // 0 under the log
	ringLen    int64 // maxEntries + 1: ring[tail] holds the total
	journalOff int64 // under the log: the journal's count word, then its pairs
	journalCap int64 // pairs the journal holds: max(2*maxEntries, blockWords) under the log, else 0
	keyLen     int64 // the longest key stored as is, rounded up to 8
	nameSize   int64 // the key record: a length word and keyLen bytes
	indexOff   int64
	slotsOff   int64
	slotSize   int64
	logOff     int64 // within a slot: head, tail, keep, wmax, block
	ringOff    int64 // within a slot
	stateOff   int64 // within a slot: the selector, then the two copies
	stride     int64 // words of one rate's record in a copy
	copyLen    int64 // bytes of one copy of the state, its block included
	blockWord  int64 // the word of a copy where its block starts
	size       int64 // of the file
}

func newLayout(cfg config) (layout, error) {
	l := layout{
		alg:     cfg.alg,
		maxKeys: int64(cfg.maxKeys),
		keyLen:  roundUp(int64(cfg.maxKeyLen), 8),
	}
	l.nameSize = 8 + l.keyLen
	l.indexOff = headerSize
	if l.alg == algLog {
		l.journalOff, l.journalCap = headerSize, max(2*int64(cfg.maxEntries), blockWords)
		l.indexOff = roundUp(l.journalOff+8+16*l.journalCap, 64)
	}
	l.slotsOff = roundUp(l.indexOff+8*l.maxKeys, 64)
	if l.alg == algLog {
		l.maxEntries = int64(cfg.maxEntries)
		l.ringLen = l.maxEntries + 1
		l.logOff = l.nameSize
		l.ringOff = l.logOff + lWords
		l.slotSize = roundUp(l.ringOff+16*l.ringLen, 64)
	} else {
		l.maxRates = int64(cfg.maxRates)
		l.stride = 2 + l.alg.stateWords()
		l.stateOff = l.nameSize
		l.blockWord = 1 + l.stride*l.maxRates
		l.copyLen = 8*l.blockWord + 8*blockWords
		l.slotSize = roundUp(l.stateOff+8+2*l.copyLen, 64)
	}
	l.size = l.slotsOff + l.maxKeys*l.slotSize // no overflow: both are < 1<<33
	if l.size > maxFileSize {
		return l, fmt.Errorf("%w: mpstore: %d key slots of %d bytes need a %d-byte file, over the limit of %d",
			ratelimit.ErrInvalidArgument, l.maxKeys, l.slotSize, l.size, int64(maxFileSize))
	}
	return l, nil
}

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }

// word returns the int64 at off in b, which is 8-aligned.
func word(b []byte, off int64) *int64 { return (*int64)(unsafe.Pointer(&b[off])) }

// writeHeader lays out an empty file's header in data; the file is all
// zeros past it. magic goes last, so a header without it is an interrupted
// creation.
func writeHeader(data []byte, l layout) {
	*word(data, hVersion) = layoutVersion
	*word(data, hMaxKeys) = l.maxKeys
	*word(data, hMaxEntries) = l.maxEntries
	*word(data, hMaxKeyLen) = l.keyLen
	*word(data, hSize) = l.size
	*word(data, hMaxRates) = l.maxRates
	*word(data, hAlgorithm) = int64(l.alg)
	storeWord(word(data, hMagic), magic)
}

// checkHeader reports whether header, read from an existing file of size
// bytes, describes the layout asked for. fresh means the header is all
// zeros: a creation that did not finish, which the caller redoes. A store
// file of another algorithm or other capacities is an error wrapping
// ratelimit.ErrInvalidArgument; one of the right layout whose size is not
// the header's is damaged (ErrDamaged).
func checkHeader(path string, header []byte, size int64, l layout) (fresh bool, err error) {
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
	for _, f := range []struct {
		what      string
		off, want int64
	}{
		{"key slots", hMaxKeys, l.maxKeys},
		{"bytes of key", hMaxKeyLen, l.keyLen},
		{"entries per key", hMaxEntries, l.maxEntries},
		{"rates per key", hMaxRates, l.maxRates},
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
