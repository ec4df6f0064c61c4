-- The state table of a constant-state algorithm (GCRA or the sliding-window
-- counter), created idempotently in one transaction.
--
-- One row per name that still counts something: the algorithm's numbers for
-- every rate, encoded as big-endian int64s (GCRA: TAT and Rem per rate; the
-- counter: Start, Prev and Cur per rate), and idle_at, the time from which
-- the state counts nothing in any rate, so that a leak finds idle rows of
-- every name through the (idle_at) index without a scan. Each algorithm has
-- a table of its own, so that stores of different algorithms sharing a
-- database never read each other's state.
CREATE TABLE IF NOT EXISTS {{.StateTable}} (
	name    TEXT    NOT NULL PRIMARY KEY, -- the bucket's name, the key a Store routes to
	state   BLOB    NOT NULL,             -- the algorithm's numbers, big-endian int64s
	idle_at INTEGER NOT NULL              -- Unix milliseconds from which state counts nothing
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {{.StateIdleIndex}} ON {{.StateTable}} (idle_at);
