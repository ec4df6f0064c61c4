-- Stores a name's state after an admitted put. Parameters: name, state,
-- idle_at.
INSERT OR REPLACE INTO {{.StateTable}} (name, state, idle_at) VALUES (?, ?, ?)
