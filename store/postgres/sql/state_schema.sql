-- The state table of the constant-state algorithms (ratelimit.GCRA and
-- ratelimit.SlidingWindowCounter), created idempotently beside the log's
-- table by the same migration, whatever algorithm the Store uses.
--
-- One row per name, updated in place: alg says which algorithm wrote it (1:
-- GCRA, 2: the counter), state holds its numbers, rate after rate by
-- ascending interval (GCRA: TAT, Rem; the counter: Start, Prev, Cur), and
-- idle_at is a time in milliseconds from which the state counts nothing
-- (ratelimit's Idle: the exact time, rounded up to a whole second), so that
-- a leak deletes idle rows by an index range. The rounding leaves idle_at
-- unchanged by most updates, and fillfactor leaves room on each page, so
-- that most updates are HOT: the new row version stays on its page and no
-- index gets an entry.
CREATE TABLE IF NOT EXISTS {{.State}} (
	name    bytea    PRIMARY KEY, -- the bucket's name, the key a Store routes to
	alg     smallint NOT NULL,
	state   bigint[] NOT NULL,
	idle_at bigint   NOT NULL
) WITH (fillfactor = 80);
CREATE INDEX IF NOT EXISTS {{.StateIdleIndex}} ON {{.State}} (idle_at);
