-- A key's block state, if it has one. Parameter: key.
SELECT until_at, level, denials, since, idle_at FROM {{.BlockTable}} WHERE key = ?
