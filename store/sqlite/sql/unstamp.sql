-- Deletes a key's rows at one stamp, for a refund, which stores what is
-- left of them as one row. Parameters: key, stamp.
DELETE FROM {{.Table}} WHERE key = ? AND ts = ?
