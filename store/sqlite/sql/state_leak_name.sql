-- Drops a name's state if it counts nothing at a time. Parameters: name,
-- now.
DELETE FROM {{.StateTable}} WHERE name = ? AND idle_at <= ?
