-- A name's state, if it has one. Parameter: name.
SELECT state FROM {{.StateTable}} WHERE name = ?
