-- Forgets a key's state. Parameter: key.
DELETE FROM {{.StateTable}} WHERE key = ?
