-- Removes every row of a name; run after the name's lock. Parameter: name.
DELETE FROM {{.Table}} WHERE name = $1
