-- Takes a name's advisory lock for the rest of the transaction, the lock
-- the decision function takes. Parameter: name.
SELECT pg_advisory_xact_lock(hashtextextended({{.LockPrefix}} || encode($1::bytea, 'hex'), 0))
