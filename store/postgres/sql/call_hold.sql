-- A hold (Store.Block): one call of the blocking function with no weight
-- and no rates. Parameters: key, algorithm (0: the log, 1: GCRA, 2: the
-- counter), time (NULL: server time), async, the block's length (ms).
SELECT FROM {{.Blocking}}($1, $2, NULL, $3, NULL, NULL, $4, $5, 0, 0, 0, 0)
