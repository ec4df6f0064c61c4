-- Stores a key's block state after a take changed it. Parameters: key,
-- until_at, level, denials, since, idle_at.
INSERT OR REPLACE INTO {{.BlockTable}} (key, until_at, level, denials, since, idle_at) VALUES (?, ?, ?, ?, ?, ?)
