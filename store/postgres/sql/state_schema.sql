-- The state table of the constant-state algorithms (GCRA and the
-- sliding-window counter), created idempotently beside the log's table by
-- the same migration, whatever algorithm the Store uses.
--
-- One row per key, updated in place: alg says which algorithm wrote it (1:
-- GCRA, 2: the counter); intervals (milliseconds) and limits are the rates
-- the state was kept under, by ascending interval; state holds the
-- algorithm's numbers, rate after rate (GCRA: TAT, Rem; the counter:
-- Start, Prev, Cur); idle_at is a time in milliseconds from which the state
-- counts nothing (core.State's IdleAt, rounded up to a whole second), so
-- that the sweeper deletes idle rows by an index range. The rounding leaves
-- idle_at unchanged by most updates, and fillfactor leaves room on each
-- page, so that most updates are HOT: the new row version stays on its
-- page and no index gets an entry.
CREATE TABLE IF NOT EXISTS {{.State}} (
	key       bytea    PRIMARY KEY,
	alg       smallint NOT NULL,
	intervals bigint[] NOT NULL,
	limits    bigint[] NOT NULL,
	state     bigint[] NOT NULL,
	idle_at   bigint   NOT NULL
) WITH (fillfactor = 80);
CREATE INDEX IF NOT EXISTS {{.StateIdleIndex}} ON {{.State}} (idle_at);
