-- Stores one admitted take. Parameters: key, before, ts, weight, expires.
INSERT INTO {{.Table}} (key, before, ts, weight, expires) VALUES (?, ?, ?, ?, ?)
