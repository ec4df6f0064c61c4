-- The timestamp of the row holding a given unit, numbered from the key's
-- first unit ever (0-based): the k-th newest unit, asked for on a denial.
-- Parameters: key, unit number.
SELECT ts FROM {{.Table}} WHERE key = ? AND before <= ? ORDER BY before DESC LIMIT 1
