-- Where a put stamped before the name's newest row goes: the before of the
-- first row stamped after it. Parameters: name, ts.
SELECT before FROM {{.Table}} WHERE name = ? AND ts > ? ORDER BY ts, before LIMIT 1
