-- The log's table and indexes, created idempotently. New runs it in one
-- transaction after taking an advisory lock on the table's name, so that
-- processes starting together never race on the catalog.
--
-- One row per admitted take (not per unit). Within a key, rows are kept in
-- (ts, insertion) order by "before", the running total of the key's units
-- stored before the row: the units of a window are the newest row's
-- before + weight minus the before of the window's first row, two index
-- seeks whatever the window holds. The primary key (key, before) finds the
-- k-th newest unit in one seek; the (key, ts, before) index finds a
-- window's first row; the (expires) index lets the sweeper find old rows of
-- every key without a scan. Keys are bytea: text cannot hold a NUL byte.
--
-- expires is the time from which the row counts for no rate of the key's
-- last take: at least ts plus the largest interval of that take (see the
-- take function), so that the sweeper may delete every row with expires
-- before now.
CREATE TABLE IF NOT EXISTS {{.Table}} (
	key     bytea  NOT NULL,
	before  bigint NOT NULL, -- units stored under key before this row
	ts      bigint NOT NULL, -- milliseconds (server time: Unix milliseconds)
	weight  bigint NOT NULL CHECK (weight > 0),
	expires bigint NOT NULL, -- milliseconds
	PRIMARY KEY (key, before)
);
CREATE INDEX IF NOT EXISTS {{.KeyTSIndex}} ON {{.Table}} (key, ts, before);
CREATE INDEX IF NOT EXISTS {{.ExpiresIndex}} ON {{.Table}} (expires);
