-- A key's state, if it has one. Parameter: key.
SELECT state FROM {{.StateTable}} WHERE key = ?
