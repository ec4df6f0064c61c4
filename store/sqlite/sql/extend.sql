-- Keeps every row of a key for at least a take's largest interval after its
-- stamp, when that interval is longer than the rows were kept for. Rows
-- keep the later of both expiries, so that expires still never decreases
-- from one row to the next. Parameters: interval, key, interval.
UPDATE {{.Table}} SET expires = ts + ? WHERE key = ? AND expires < ts + ?
