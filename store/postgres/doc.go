// Package pgstore keeps rate-limit state in a PostgreSQL table through a
// pgx v5 [pgxpool.Pool]: exact across every process and host that shares
// the table, with one round trip per decision.
//
// [New] returns a [Store], a [ratelimit.Factory] that keeps every name's
// log in one table, one row per admitted put with its weight;
// [Store.Migrate] creates the table, its indexes and a PL/pgSQL decision
// function, idempotently and safely when several processes start at once;
// [Store.Bucket] returns a name's [ratelimit.Bucket]. [NewLimiter] is the
// one-call limiter: New, Migrate and [ratelimit.New].
//
// Under the default algorithm, the exact log, each put is one statement
// calling the decision function. It takes a
// transaction-level advisory lock on a hash of the table and the name
// (never a table lock: other names never wait, and a put that meets
// contention waits for its turn, bounded by the caller's context, instead
// of being denied), reads the server's clock (clock_timestamp(), Unix
// milliseconds as BIGINT, so application hosts with skewed clocks still
// agree), counts every window with index seeks, decides with the rules of
// [ratelimit.SlidingWindowLog] and stores the units. Old rows are deleted in
// short batches by a background sweeper.
//
// [WithAlgorithm] selects, instead of the log, [ratelimit.GCRA] (the token
// bucket in two numbers per rate, allowing up to 2×limit units in one
// window of an interval, edges included) or
// [ratelimit.SlidingWindowCounter] (two weighted fixed windows, three
// numbers per rate): one row per name in a companion table
// (the table's name with the suffix _state, which Migrate always creates),
// updated in place, whatever the traffic — about 180 bytes per name with
// its indexes, against some 200 bytes per admitted put for the log. Their
// decision function is one call too, computing exactly what the core
// computes: it reads the name's row, decides, and only when it must write
// takes the name's advisory lock and checks that the row is unchanged
// (deciding again under the lock if it is not), so that denials never wait
// and writes on one name run one at a time on the latest committed state.
// Each row carries the time from which it counts nothing (rounded up to a
// second, so that most updates leave the index alone and are HOT), indexed,
// so that the sweeper deletes idle rows in batches by an index range. Peek fails
// with an error wrapping [ratelimit.ErrNoHistory].
//
// Names are stored as bytea and always bound as parameters, so any string
// works, NUL bytes and invalid UTF-8 included, of any length: a name longer
// than 2600 bytes (more than an index entry can be sure to hold) is stored
// as a 65-byte form holding its SHA-256 digest and its length, which no
// other name shares (short of a SHA-256 collision); Peek returns the name
// as put. The table name ([WithTable]) must be an identifier and is
// quoted. The SQL lives in the package's sql/*.sql files. It needs
// PostgreSQL 11 or later.
package pgstore
