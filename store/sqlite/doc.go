// Package sqlitestore keeps rate-limit state in a SQLite database through
// modernc.org/sqlite, a pure-Go driver (no cgo): durable across restarts,
// and exact across every process of a host that opens the same file.
//
// [Open] opens a file (WAL, busy_timeout 5s, synchronous=NORMAL), the
// default file of [DefaultPath] for "", or a private in-memory database for
// [Memory]; [New] uses a *sql.DB the caller opened. Either returns a
// [Store], a [ratelimit.Factory] that keeps every name's log in one table,
// one row per admitted put with its weight; [Store.Bucket] returns a name's
// [ratelimit.Bucket]. [NewLimiter] is the one-call limiter over a new Store
// (PyrateLimiter's create_sqlite_limiter, with one stable default file where
// PyrateLimiter made a new one per call).
//
// Each put is one BEGIN IMMEDIATE transaction: it counts every window in one
// statement, decides with [ratelimit.SlidingWindowLog], and stores the units
// under SQLite's write lock, which no other connection of any process holds
// meanwhile; a process killed mid-transaction leaves the file intact and the
// lock free. A call waits for another connection's lock for at most the
// busy timeout, and never past the end of its context, whose error it then
// wraps: a locked database is an error, never a denial. Units are stamped
// with [ratelimit.WallClock] in Unix milliseconds, the one clock every
// process of a host shares. Old rows are deleted in short batches by a
// background sweeper.
//
// [WithAlgorithm] trades the exact log for constant state per name:
// [ratelimit.GCRA] (16 bytes per rate) or [ratelimit.SlidingWindowCounter]
// (24 bytes per rate), one row per name in a table of their own (the
// table's name plus _gcra or _counter) with the time it stops counting, so
// that the sweeper deletes idle names through an index. A put reads the
// row, decides with the core's algorithm and writes the row back if it
// admits, in the same BEGIN IMMEDIATE transaction; Peek has no units to
// return under them ([ratelimit.ErrNoHistory]). On disk a name costs about
// 80-90 bytes under either, where the log costs about 95 bytes per admitted
// put.
//
// Names and item names are always bound as parameters, never written into
// SQL, so any string works; the table name ([WithTable]) must be an
// identifier and is quoted. The SQL lives in the package's sql/*.sql files.
package sqlitestore
