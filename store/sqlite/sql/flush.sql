-- Removes every row of a name. Parameter: name.
DELETE FROM {{.Table}} WHERE name = ?
