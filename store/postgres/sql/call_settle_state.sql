-- A refund or a charge under GCRA or the counter: one call of their settle
-- function. Parameters: key, algorithm (1: GCRA, 2: the counter), n, time
-- (NULL: server time), the refunded take's time (NULL: a charge),
-- intervals, limits, async.
SELECT allowed, rate, remaining, retry_after, reset_after, ts
FROM {{.SettleState}}($1, $2, $3, $4, $5, $6, $7, $8)
