-- A take or a check under GCRA or the counter: one call of their take
-- function. Parameters: key, algorithm (1: GCRA, 2: the counter), n, time
-- (NULL: server time), intervals, limits, take, async.
SELECT allowed, rate, remaining, retry_after, reset_after, ts
FROM {{.TakeState}}($1, $2, $3, $4, $5, $6, $7, $8)
