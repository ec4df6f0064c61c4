-- Stores a key's state after a take changed it. Parameters: key, state,
-- idle_at.
INSERT OR REPLACE INTO {{.StateTable}} (key, state, idle_at) VALUES (?, ?, ?)
