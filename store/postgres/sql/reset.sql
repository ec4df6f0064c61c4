-- The reset function: deletes a key's rows from the three tables under the
-- key's lock, so that a take in flight on the key either comes before it
-- (and is deleted) or after it (and finds no history, no block). Each
-- statement of the function reads with a snapshot taken after the lock.

CREATE OR REPLACE FUNCTION {{.Reset}}(p_key bytea) RETURNS void
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
	PERFORM pg_advisory_xact_lock(hashtextextended({{.LockPrefix}} || encode(p_key, 'hex'), 0));
	DELETE FROM {{.Table}} WHERE key = p_key;
	DELETE FROM {{.State}} WHERE key = p_key;
	DELETE FROM {{.Blocks}} WHERE key = p_key;
END
$fn$;
