// Package pgstore keeps rate-limit state in PostgreSQL tables through a
// pgx v5 [pgxpool.Pool]: a [ratelimit.Store] exact across every process
// and host that shares the tables, with at most one round trip per
// decision: concurrent takes share them.
//
// [New] creates the tables, their indexes and PL/pgSQL functions if need be
// (idempotently, safely when several processes start at once) and returns a
// [Store]. Its Check, Reset, Refund, Charge and Block are each one
// statement calling one of those functions, and so is a Take or a
// TakeBlocking, or a share of one (below); the rates come with every call,
// so one table serves any number of limiters and plans, and a key's rates
// may change from one call to the next with the rules of [ratelimit.Store].
// Every Decision carries the time it was decided at (its At), which names a
// take to Refund ([ratelimit.Settler]): a refund or a charge runs, in one
// transaction under the key's advisory lock, a take of 0 units (or, for a
// charge under the log, of the units whatever the limits), its change to
// the key's state, and a check of 0 units for the key's standing, all at
// one time.
//
// By default ([WithMaxBatch]), concurrent takes (Take and TakeBlocking) of
// one Store share round trips and commits: while two statements of takes
// run, further takes queue, and the next statement carries the queued ones
// (up to 64) to a function that decides them in one transaction, each take
// as its take function would, so that each gets the Decision it would have
// got alone. That statement never waits for a lock: the takes of a key
// another transaction holds go to statements of that key alone, which wait
// for it (see [Store.Take]). Under load this multiplies the takes a second
// a pool can make; a take that meets no other is sent alone, as its own
// call after a try of its key's lock.
//
// Under the default algorithm, the exact sliding-window log, a key's state
// is one row per admitted take with its weight. A take locks the key with
// a transaction-level advisory lock on a hash of the table and the key
// (never a table lock: other keys never wait, and a take that meets
// contention waits for its turn, bounded by the caller's context, instead
// of being denied), reads the server's clock (clock_timestamp(), Unix
// milliseconds as bigint, so application hosts with skewed clocks still
// agree), counts every window with index seeks, decides as [core.DecideLog]
// does and stores the units. It keeps a key's rows for the largest interval
// of the key's last take.
//
// [WithAlgorithm] selects, instead, [ratelimit.GCRA] or
// [ratelimit.SlidingWindowCounter]: one row per key in a companion table
// (the table's name with the suffix _state), holding a few numbers per rate
// and the rates they were kept under, updated in place whatever the
// traffic. Their function computes exactly what [core.State] computes, in
// the same integer arithmetic, carrying the state across a change of rates
// as it does; it reads the key's row, decides, and only when it must write
// takes the key's advisory lock and checks that the row is unchanged
// (deciding again under the lock if it is not), so that denials never wait
// and writes on one key run one at a time on the latest committed state.
//
// Blocks ([ratelimit.Block], [Store.TakeBlocking], [Store.Block]) are one
// row per key in a table of their own (the table's name with the suffix
// _block), apart from the key's units, so that Take and Check never read
// them. Their function mirrors [core.BlockState] in PL/pgSQL, in the same
// integer arithmetic: under the key's advisory lock (taken first under
// every algorithm, so that under GCRA and the counter a take under a block
// waits for the lock even to be denied), in one transaction, it reads the
// key's block row, runs the algorithm's take function (as a check while
// the key is blocked), counts the denial and blocks the key as
// [core.BlockState.Judge] does, and writes the row only when it changed.
// So a block is as exact and as durable as the units, shared by every
// process and host; Reset deletes it with them.
//
// A background sweeper (see [WithSweepInterval]) deletes, in short
// batches found by an index, the log's rows that count for no rate of
// their key's last take, and the state and block rows that count
// nothing.
//
// Keys are stored as bytea and always bound as parameters, so any string
// works, NUL bytes and invalid UTF-8 included, of any length: a key longer
// than 2600 bytes (more than an index entry can be sure to hold) is stored
// as a 65-byte form holding its SHA-256 digest and its length, which no
// other key shares (short of a SHA-256 collision). The table name
// ([WithTable]) must be an identifier and is quoted. The SQL lives in the
// package's sql/*.sql files. It needs PostgreSQL 12 or later.
package pgstore
