-- The batch take function: one call takes for many callers at once, each
-- take decided by the function its own call would run ({{.Take}} for the
-- log, p_alg 0; {{.TakeState}} for GCRA, 1, and the counter, 2; for a take
-- under a block, {{.Blocking}}) exactly as that call would decide it, all
-- in the caller's one transaction, so that many takes cost one round trip
-- and one commit.
--
-- The takes run in the order of their keys' advisory-lock ids (the hash
-- the take functions lock), and in their order in the arrays within one
-- key. With p_try, the call first tries each key's lock without waiting
-- and passes over the takes of a key another transaction holds (busy): it
-- never waits for a lock, so a key held long holds back only its own takes,
-- which the caller sends again in a call of that key alone. Without p_try
-- (a call of one key), each function waits for its key's lock (the log and
-- blocks always, GCRA and the counter to write), which the transaction then
-- holds to its end; a call that waits holds at most that one key, so no
-- two calls ever wait for each other in a cycle. A later take of a key in
-- the batch sees the earlier ones: each statement of a volatile function
-- reads the transaction's own writes.
--
-- An error in any take (bad input the Go side let through) aborts the
-- whole call, and the transaction with it: nothing of the batch is kept.
--
-- Parameters: the keys; the algorithm; each take's weight; each take's time
-- in milliseconds (a NULL array: the server's clock for every take); the
-- offsets of each take's rates in the two arrays that follow, one more
-- than the takes (take i's rates are elements offsets[i] + 1 to
-- offsets[i + 1]); every take's rates' intervals in milliseconds and
-- limits, each take's by ascending interval; whether to commit without
-- waiting for the WAL flush; whether to try the locks (pass over busy
-- keys) rather than wait for them; then, for takes under a block, the
-- Block's For, After, Within, Factor and Max as {{.Blocking}} takes them
-- (For NULL, or a NULL array, for a take under none).
--
-- Result: one row per take, in no particular order: its index in the
-- arrays (from 1); whether its key was busy (the take was passed over, and
-- the other columns are zero); then the function's result (blocked false
-- for a take under no block).
--
-- The function of the version before p_try, an overload with one
-- parameter fewer, is left for the processes still running that version.

CREATE OR REPLACE FUNCTION {{.TakeBatch}}(
	p_keys bytea[], p_alg smallint, p_ns bigint[], p_nows bigint[],
	p_offsets integer[], p_intervals bigint[], p_limits bigint[], p_async boolean, p_try boolean,
	p_for bigint[], p_after bigint[], p_within bigint[], p_factor bigint[], p_max bigint[])
RETURNS TABLE (idx integer, busy boolean, allowed boolean, rate integer, remaining bigint,
	retry_after bigint, reset_after bigint, ts bigint, blocked boolean)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	v_i    integer;
	v_lock bigint;
	v_busy bigint; -- the lock id last found held by another transaction
BEGIN
	FOR v_i, v_lock IN
		SELECT s.i, hashtextextended({{.LockPrefix}} || encode(p_keys[s.i], 'hex'), 0) AS l
		FROM generate_subscripts(p_keys, 1) AS s(i)
		ORDER BY l, s.i
	LOOP
		idx := v_i;
		-- Once a key is found busy, its later takes are passed over too,
		-- so that none is decided before an earlier one of its key.
		busy := false;
		IF p_try THEN
			busy := v_lock IS NOT DISTINCT FROM v_busy OR NOT pg_try_advisory_xact_lock(v_lock);
		END IF;
		IF busy THEN
			v_busy := v_lock;
			allowed := false; rate := 0; remaining := 0; retry_after := 0;
			reset_after := 0; ts := 0; blocked := false;
			RETURN NEXT;
			CONTINUE;
		END IF;
		blocked := false;
		IF p_for[v_i] IS NOT NULL THEN
			SELECT t.allowed, t.rate, t.remaining, t.retry_after, t.reset_after, t.ts, t.blocked
			INTO allowed, rate, remaining, retry_after, reset_after, ts, blocked
			FROM {{.Blocking}}(p_keys[v_i], p_alg, p_ns[v_i], p_nows[v_i],
				p_intervals[p_offsets[v_i] + 1 : p_offsets[v_i + 1]],
				p_limits[p_offsets[v_i] + 1 : p_offsets[v_i + 1]], p_async,
				p_for[v_i], p_after[v_i], p_within[v_i], p_factor[v_i], p_max[v_i]) AS t;
		ELSIF p_alg = 0 THEN
			SELECT t.allowed, t.rate, t.remaining, t.retry_after, t.reset_after, t.ts
			INTO allowed, rate, remaining, retry_after, reset_after, ts
			FROM {{.Take}}(p_keys[v_i], p_ns[v_i], p_nows[v_i],
				p_intervals[p_offsets[v_i] + 1 : p_offsets[v_i + 1]],
				p_limits[p_offsets[v_i] + 1 : p_offsets[v_i + 1]], true, p_async) AS t;
		ELSE
			SELECT t.allowed, t.rate, t.remaining, t.retry_after, t.reset_after, t.ts
			INTO allowed, rate, remaining, retry_after, reset_after, ts
			FROM {{.TakeState}}(p_keys[v_i], p_alg, p_ns[v_i], p_nows[v_i],
				p_intervals[p_offsets[v_i] + 1 : p_offsets[v_i + 1]],
				p_limits[p_offsets[v_i] + 1 : p_offsets[v_i + 1]], true, p_async) AS t;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$fn$;
