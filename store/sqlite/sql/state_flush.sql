-- Forgets a name's state. Parameter: name.
DELETE FROM {{.StateTable}} WHERE name = ?
