-- What a put needs to know of one name's log, in one statement: the newest
-- row's timestamp, the running total after it, and, for each rate, the
-- running total before the first row inside the rate's window (NULL when the
-- window is empty). No row at all: the name stores nothing.
--
-- The fragment inside range is repeated once per rate; it substitutes
-- nothing. Parameters, in order: each rate's window start (inclusive), then
-- the name.
SELECT n.ts, n.before + n.weight
{{- range .Rates}},
	(SELECT w.before FROM {{$.Table}} AS w WHERE w.name = n.name AND w.ts >= ? ORDER BY w.ts, w.before LIMIT 1)
{{- end}}
FROM {{.Table}} AS n
WHERE n.name = ?
ORDER BY n.before DESC
LIMIT 1
