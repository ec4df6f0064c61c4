-- Serialises New's migration across processes: a transaction-level
-- advisory lock on a hash of the table's name.
SELECT pg_advisory_xact_lock(hashtextextended({{.MigratePrefix}}, 0))
