-- The log table and its indexes, created idempotently in one transaction.
--
-- One row per admitted take (not per unit). Within a key, rows are kept in
-- (ts, insertion) order by "before", the running total of the key's units
-- stored before the row: the units of a window are the newest row's
-- before + weight minus the before of the window's first row, two index
-- seeks whatever the window holds. The primary key (key, before) finds the
-- k-th newest unit in one seek; the (key, ts) index, whose entries end in
-- the primary key, finds a window's first row; the (expires) index lets the
-- sweeper find old rows of every key without a scan.
--
-- expires never decreases from one row of a key to the next, so that the
-- sweeper deletes the oldest rows of a key first and the running totals of
-- the rows left stay exact.
CREATE TABLE IF NOT EXISTS {{.Table}} (
	key     TEXT    NOT NULL, -- the key the units were taken under
	before  INTEGER NOT NULL, -- units stored under key before this row
	ts      INTEGER NOT NULL, -- the take's stamp, in the store's clock (ms)
	weight  INTEGER NOT NULL CHECK (weight > 0),
	expires INTEGER NOT NULL, -- from after this time (ms) no rate counts the row
	PRIMARY KEY (key, before)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {{.KeyTSIndex}} ON {{.Table}} (key, ts);
CREATE INDEX IF NOT EXISTS {{.ExpiresIndex}} ON {{.Table}} (expires);
