package mpstore

import (
	"errors"
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// ErrFull reports that a [Store] has no room for a put it would admit: a new
// key arrived while every key slot held a key with units inside the largest
// window ([WithMaxKeys]), or a key's ring is full of entries still inside
// the window ([WithMaxEntries]). Nothing is admitted: the store never
// forgets a unit that still counts.
//
// [Open] returns it too, with the file system's error (ENOSPC) also
// wrapped, when the file system cannot hold the whole
// file: the file's space is reserved when it is opened, so that no later
// write to the mapping can find the disk full.
var ErrFull = errors.New("ratelimit: mpstore: full")

// ErrDamaged reports that the store's file no longer holds what this
// package wrote. Either it was truncated under the processes that map it
// (an access beyond its new end faults; the fault is caught, the locks are
// released, and the operation returns this error), or a word the operation
// reads fails the checks it makes on the index and key slots on the way to
// its key: every index word one this package writes, no key found under
// another key's index word, every key record hashing to its index word
// (checked for every slot passed before a key with no slot is given one),
// a log's sequence numbers within its ring, its totals counting 1 to the
// smallest rate's limit per entry, its timestamps in order, a GCRA or
// counter state within the rates' limits. [Open] returns it for a store
// file whose size is not its header's.
//
// A put that returns it admitted nothing and stored no unit; the key stays
// refused until the file is replaced, while keys whose probe does not pass
// the damaged slot go on. [Store.Leak] returns it after leaking the sound
// keys. What passes the checks is taken at face value: a log timestamp
// changed to another that keeps the log in order, a GCRA arrival time, a
// counter window's start moved by whole intervals, a state's selector
// flipped to the previous state.
var ErrDamaged = errors.New("ratelimit: mpstore: damaged file")

var errClosed = fmt.Errorf("%w: mpstore", ratelimit.ErrClosed)
