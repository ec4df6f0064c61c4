-- Moves the rows of a key from a running total on down by the units a
-- refund removed before them, so that the totals stay exact. SQLite updates
-- them in the primary key's order, lowest first: no row moves onto one not
-- yet moved. Parameters: units, key, running total.
UPDATE {{.Table}} SET before = before - ? WHERE key = ? AND before >= ?
