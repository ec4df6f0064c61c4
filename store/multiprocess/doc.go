// Package mpstore keeps rate-limit state in a file that several processes
// of one host map into memory, so that prefork servers, worker pools, cron
// jobs and command-line runs share one exact limit with no server to run.
//
// [Open] returns a [Store], a [ratelimit.Store] that keeps every key's
// exact sliding-window log ([ratelimit.SlidingWindowLog], the default
// algorithm of every store) inside the file, and also implements
// [ratelimit.Checker], [ratelimit.Resetter], [ratelimit.Settler] and
// [ratelimit.Blocker] (a key's block is kept in its slot, committed with
// the take that sets it, see [Store.TakeBlocking], or by [Store.Block],
// which blocks a key for a given time). Rates come with each take, so one
// file serves every limiter of the processes that open it:
//
//	store, err := mpstore.Open("/dev/shm/myapp.ratelimit")
//	...
//	limiter, err := ratelimit.New(store, ratelimit.PerSecond(50))
//
// Each call holds the file's flock(2) lock for a few microseconds; the
// kernel drops it when the holder dies, and every change to the file
// commits with a single 8-byte store (a refund that moves many words of a
// log, or a change of a log's block, commits them through a journal, which
// the next holder finishes), so a process killed at any instruction neither
// wedges nor corrupts the others.
// Capacity is fixed when the file is created: key slots ([WithMaxKeys]),
// and log entries ([WithMaxEntries]) or rates ([WithMaxRates]) per key;
// idle keys give up their slots, a new key that finds no room fails with
// [ErrFull], and rates a slot cannot hold are an error, never a wrong
// decision.
//
// The file cannot fail the process either. [Open] reserves the file's
// whole size on the file system (fallocate(2), or zeros written where the
// file system has none), so a full disk, or a tmpfs such as /dev/shm too
// small for the capacities asked, is an error from Open wrapping [ErrFull]
// and the system's ENOSPC, never a SIGBUS at a later write. A file
// truncated under the processes that map it (flock is advisory: anyone
// can) makes every access beyond its new end an error wrapping
// [ErrDamaged]: the fault is caught and the lock released. A file emptied
// is created again by the next Open, and the stores mapping it go on with
// its new, empty state; a file cut elsewhere stays refused. Words
// overwritten in the file are caught by cheap checks on what each call
// reads: the damaged key gets an error, not a fresh allowance, and the
// other keys go on ([ErrDamaged] says what the checks cannot see). Nothing
// mends a damaged file: stop the processes that use it and remove it, and
// the next Open creates it afresh, every key's history lost.
//
// [WithAlgorithm] trades the exact log for constant state per key, which
// the file records: [ratelimit.GCRA] or [ratelimit.SlidingWindowCounter],
// decided by package core's code. A key slot then holds the key and two
// copies of its rates and state, committed by flipping one selector word,
// a few hundred bytes where the log's ring takes kilobytes.
//
// Time is the host's wall clock ([core.WallClock]) by default, the clock
// all its processes share; a step back of it never reorders a key's log
// (see [Store]).
//
// The package works on Linux and macOS; elsewhere [Open] returns an error.
package mpstore
