-- What a take needs to know of one key's log, in one statement: the newest
-- row's timestamp, the running total after it and its expiry, and, for each
-- rate, the running total before the first row inside the rate's window
-- (NULL when the window is empty). No row at all: the key stores nothing.
--
-- The fragment inside range is repeated once per rate; it substitutes
-- nothing. Parameters, in order: each rate's window start (inclusive), then
-- the key.
SELECT n.ts, n.before + n.weight, n.expires
{{- range .Rates}},
	(SELECT w.before FROM {{$.Table}} AS w WHERE w.key = n.key AND w.ts >= ? ORDER BY w.ts, w.before LIMIT 1)
{{- end}}
FROM {{.Table}} AS n
WHERE n.key = ?
ORDER BY n.before DESC
LIMIT 1
