-- The columns this version needs that an existing table lacks: a table
-- made by an earlier version of the package, or by something else. No row
-- when every table is missing or complete. Parameters: the log's table,
-- the state table and the block table, as quoted identifiers.
SELECT c.rel, c.col
FROM (VALUES ($1::text, 'key', 1), ($1, 'before', 2), ($1, 'ts', 3), ($1, 'weight', 4), ($1, 'expires', 5),
	($2::text, 'key', 6), ($2, 'alg', 7), ($2, 'intervals', 8), ($2, 'limits', 9), ($2, 'state', 10), ($2, 'idle_at', 11),
	($3::text, 'key', 12), ($3, 'until_at', 13), ($3, 'level', 14), ($3, 'denials', 15), ($3, 'since', 16), ($3, 'idle_at', 17))
	AS c(rel, col, ord)
WHERE to_regclass(c.rel) IS NOT NULL AND NOT EXISTS (
	SELECT 1 FROM pg_attribute AS a
	WHERE a.attrelid = to_regclass(c.rel) AND a.attname = c.col AND a.attnum > 0 AND NOT a.attisdropped)
ORDER BY c.ord
