package mpstore

import (
	"errors"
	"fmt"

	"github.com/gorate/ratelimit"
)

// ErrFull reports that a [Store] has no room for a take it would admit: a
// new key arrived while every key slot held a key whose state still counts
// ([WithMaxKeys]), or a charge found every log entry of its key inside
// the window ([WithMaxEntries], [Store.Charge]). Nothing is admitted or
// charged: the store never forgets a unit that still counts.
//
// [Open] returns it too, with the file system's error (ENOSPC) also
// wrapped, when the file system cannot hold the whole file: the file's
// space is reserved when it is opened, so that no later write to the
// mapping can find the disk full.
var ErrFull = errors.New("ratelimit: mpstore: full")

// ErrDamaged reports that the store's file no longer holds what this
// package wrote. Either it was truncated under the processes that map it
// (an access beyond its new end faults; the fault is caught, the locks are
// released, and the call returns this error), its header's magic word is
// gone, or a word the call reads fails the checks it makes on the index
// and key slots on the way to its key: every index word one this package
// writes, no key found under another key's index word, every key record
// hashing to its index word (checked for every slot passed before a key
// with no slot is given one), a log's sequence numbers within its ring,
// its totals counting 1 to its recorded maximum per entry, its timestamps
// in order, its kept interval a valid one, a GCRA or counter state's rates
// a valid list that [core.Validate] accepts, with a GCRA remainder below
// its limit, an arrival time no further ahead than its limit allows (plus
// 100 years, for a clock stepped back), a counter's window aligned and no
// more than 100 years ahead, its counts within exact arithmetic. Every
// call under the log also checks the journal (see [Store.Refund]): its
// count within its room, every pair it holds writing a word of the key
// slots. [Open] returns it for a store file whose size is not its
// header's.
//
// A call that returns it admitted nothing and stored no unit; the key
// stays refused (Take, Check and Reset alike) until the file is replaced,
// while keys whose probe does not pass the damaged slot go on; a damaged
// journal refuses every call. What passes
// the checks is taken at face value: a log timestamp changed to another
// that keeps the log in order, a kept interval, a GCRA arrival time moved
// earlier, a counter window's start moved by whole intervals, a stored
// rate changed to another valid one, a state's selector flipped to the
// previous state.
var ErrDamaged = errors.New("ratelimit: mpstore: damaged file")

var errClosed = fmt.Errorf("%w: mpstore", ratelimit.ErrClosed)
