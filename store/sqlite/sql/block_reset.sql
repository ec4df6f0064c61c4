-- Forgets a key's block state. Parameter: key.
DELETE FROM {{.BlockTable}} WHERE key = ?
