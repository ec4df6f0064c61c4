-- A take or a check under a block: one call of the blocking function.
-- Parameters: key, algorithm (0: the log, 1: GCRA, 2: the counter), n,
-- time (NULL: server time), intervals, limits, async, and the Block's For,
-- After, Within, Factor and Max (ms).
SELECT allowed, rate, remaining, retry_after, reset_after, ts, blocked
FROM {{.Blocking}}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
