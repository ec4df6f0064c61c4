-- The timestamp of the row holding a given unit, numbered from the name's
-- first unit ever (0-based): the k-th newest unit, asked for on a denial.
-- Parameters: name, unit number.
SELECT ts FROM {{.Table}} WHERE name = ? AND before <= ? ORDER BY before DESC LIMIT 1
