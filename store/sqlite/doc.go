// Package sqlitestore keeps rate-limit state in a SQLite database through
// modernc.org/sqlite, a pure-Go driver (no cgo): durable across restarts,
// and exact across every process of a host that opens the same file.
//
// [Open] opens a file (WAL, busy_timeout 5s, synchronous=NORMAL), or a
// private in-memory database for [Memory]; [New] uses a *sql.DB the caller
// opened. Either returns a [Store], a [ratelimit.Store] that also
// implements [ratelimit.Checker], [ratelimit.Resetter], [ratelimit.Settler]
// and [ratelimit.Blocker]. The rates come with each call, so one Store (one
// table) serves any number of limiters and plans.
//
// Each take, refund and charge is one BEGIN IMMEDIATE transaction: it reads
// the key's rows, decides in Go with package core, and writes under
// SQLite's write lock, which no other connection of any process holds
// meanwhile; a process killed mid-transaction leaves the file intact and
// the lock free. A call waits for another connection's lock for at most the
// busy timeout, and never past the end of its context, whose error it then
// wraps: a locked database is an error, never a denial. Takes are stamped
// with [core.WallClock] in Unix milliseconds by default, the one clock
// every process of a host shares. Old rows are deleted in short batches by
// a background sweeper.
//
// The default algorithm, [ratelimit.SlidingWindowLog], keeps one row per
// admitted take, about 100 bytes on disk. [WithAlgorithm] trades it for
// constant state per key: [ratelimit.GCRA] or
// [ratelimit.SlidingWindowCounter], one row per key in a table of their own
// (the table's name plus _gcra or _counter) holding the rates it was kept
// under, the algorithm's numbers, and the time it stops counting, so that
// the sweeper deletes idle keys through an index. Blocks
// ([Store.TakeBlocking]) are kept in the same transaction as the take, one
// row per blocked key in a table of their own (the store's table's name
// plus _block), until the sweeper deletes them once they no longer matter.
//
// Keys are always bound as parameters, never written into SQL, so any
// string works; the table name ([WithTable]) must be an identifier and is
// quoted. The SQL lives in the package's sql/*.sql files.
package sqlitestore
