-- Stores one admitted put. Parameters: name, before, ts, weight, item (NULL
-- when the put's own name is name).
INSERT INTO {{.Table}} (name, before, ts, weight, item) VALUES (?, ?, ?, ?, ?)
