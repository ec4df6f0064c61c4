-- The store's table, indexes and decision function, created idempotently.
-- Migrate runs it in one transaction after taking an advisory lock on the
-- table's name, so that processes starting together never race on the
-- catalog.
--
-- One row per admitted put (not per unit). Within a name, rows are kept in
-- (ts, insertion) order by "before", the running total of the name's units
-- stored before the row: the units of a window are the newest row's
-- before + weight minus the before of the window's first row, two index
-- seeks whatever the window holds. The primary key (name, before) finds the
-- k-th newest unit in one seek; the (name, ts, before) index finds a
-- window's first row; the (ts) index lets a leak find old rows of every
-- name without a scan. Names are bytea: text cannot hold a NUL byte.
CREATE TABLE IF NOT EXISTS {{.Table}} (
	name   bytea  NOT NULL, -- the bucket's name, the key a Store routes to
	before bigint NOT NULL, -- units stored under name before this row
	ts     bigint NOT NULL, -- milliseconds (server time: Unix milliseconds)
	weight bigint NOT NULL CHECK (weight > 0),
	item   bytea,           -- the put's own name, when it is not name
	PRIMARY KEY (name, before)
);
CREATE INDEX IF NOT EXISTS {{.NameTSIndex}} ON {{.Table}} (name, ts, before);
CREATE INDEX IF NOT EXISTS {{.TSIndex}} ON {{.Table}} (ts);
