-- The store's table and indexes, created idempotently in one transaction.
--
-- One row per admitted put (not per unit). Within a name, rows are kept in
-- (ts, insertion) order by "before", the running total of the name's units
-- stored before the row: the units of a window are the newest row's
-- before + weight minus the before of the window's first row, two index
-- seeks whatever the window holds. The primary key (name, before) finds the
-- k-th newest unit in one seek; the (name, ts) index, whose entries end in
-- the primary key, finds a window's first row; the (ts) index lets a leak
-- find old rows of every name without a scan.
CREATE TABLE IF NOT EXISTS {{.Table}} (
	name   TEXT    NOT NULL, -- the bucket's name, the key a Store routes to
	before INTEGER NOT NULL, -- units stored under name before this row
	ts     INTEGER NOT NULL, -- Unix milliseconds
	weight INTEGER NOT NULL CHECK (weight > 0),
	item   TEXT,             -- the put's own name, when it is not name
	PRIMARY KEY (name, before)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {{.NameTSIndex}} ON {{.Table}} (name, ts);
CREATE INDEX IF NOT EXISTS {{.TSIndex}} ON {{.Table}} (ts);
