-- A leak of one name: its state, if it counts nothing at the bound.
-- Parameters: name, bound.
DELETE FROM {{.State}} WHERE name = $1 AND idle_at <= $2
