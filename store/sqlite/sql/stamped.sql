-- The units a key's log holds at one stamp, for a refund: the running total
-- before its first row there and after its last, and that row's expiry;
-- NULLs when it holds none. A key's stamps never go back, so its rows at
-- one stamp hold consecutive units. Parameters: key, stamp.
SELECT min(before), max(before + weight), max(expires) FROM {{.Table}} WHERE key = ? AND ts = ?
