-- Forgets a key's log. Parameter: key.
DELETE FROM {{.Table}} WHERE key = ?
