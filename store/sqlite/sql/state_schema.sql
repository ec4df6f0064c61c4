-- The state table of a constant-state algorithm (GCRA or the sliding-window
-- counter), created idempotently in one transaction.
--
-- One row per key that still counts something: for every rate the state was
-- kept under, its limit and interval and the algorithm's numbers, encoded as
-- big-endian int64s (GCRA: Limit, Interval, TAT and Rem; the counter: Limit,
-- Interval, Start, Prev and Cur), and idle_at, the time from which the state
-- counts nothing in any rate, so that the sweeper finds idle rows of every
-- key through the (idle_at) index without a scan. Each algorithm has a table
-- of its own, so that stores of different algorithms sharing a database
-- never read each other's state.
CREATE TABLE IF NOT EXISTS {{.StateTable}} (
	key     TEXT    NOT NULL PRIMARY KEY, -- the key the state is kept under
	state   BLOB    NOT NULL,             -- rates and numbers, big-endian int64s
	idle_at INTEGER NOT NULL              -- time (ms) from which state counts nothing
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {{.StateIdleIndex}} ON {{.StateTable}} (idle_at);
