-- Many takes in one statement: one call of the batch take function.
-- Parameters: keys, algorithm (0: the log, 1: GCRA, 2: the counter),
-- weights, times (NULL: server time), rate offsets, intervals, limits,
-- async, whether to try the locks (pass over busy keys), and the Blocks'
-- For, After, Within, Factor and Max (ms; For NULL: a take under none).
SELECT idx, busy, allowed, rate, remaining, retry_after, reset_after, ts, blocked
FROM {{.TakeBatch}}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
