-- Maps the running totals of a key's rows in [from, to) to -1 - (before -
-- units): run once with the units a refund removed and [that refund's end,
-- MaxInt64), it moves the later rows out to negative totals, then once
-- with 0 units and [MinInt64, 0), it brings them back, moved down by the
-- units. Each run maps distinct totals onto distinct ones in a range no
-- other row holds, so no row ever lands on another's primary key, in
-- whatever order SQLite updates them. Parameters: units, key, from, to.
UPDATE {{.Table}} SET before = -1 - (before - ?) WHERE key = ? AND before >= ? AND before < ?
