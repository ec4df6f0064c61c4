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
// Each put is one statement calling the decision function. It takes a
// transaction-level advisory lock on a hash of the table and the name
// (never a table lock: other names never wait, and a put that meets
// contention waits for its turn, bounded by the caller's context, instead
// of being denied), reads the server's clock (clock_timestamp(), Unix
// milliseconds as BIGINT, so application hosts with skewed clocks still
// agree), counts every window with index seeks, decides with the rules of
// [ratelimit.SlidingWindowLog] and stores the units. Old rows are deleted in
// short batches by a background sweeper.
//
// Names are stored as bytea and always bound as parameters, so any string
// works, NUL bytes included; the table name ([WithTable]) must be an
// identifier and is quoted. The SQL lives in the package's sql/*.sql files.
// It needs PostgreSQL 11 or later.
package pgstore
