-- Removes a name's state; run after the name's lock. Parameter: name.
DELETE FROM {{.State}} WHERE name = $1
