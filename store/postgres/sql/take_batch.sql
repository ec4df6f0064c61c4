-- The batch take function: one call takes for many callers at once, each
-- take decided by the function its own call would run ({{.Take}} for the
-- log, p_alg 0; {{.TakeState}} for GCRA, 1, and the counter, 2; for a take
-- under a block, {{.Blocking}}) exactly as that call would decide it, all
-- in the caller's one transaction, so that many takes cost one round trip
-- and one commit.
--
-- The takes run in the order of their keys' advisory-lock ids (the hash
-- the take functions lock), and in their order in the arrays within one
-- key. Each function takes its key's lock (the log and blocks always, GCRA
-- and the counter to write), which the transaction then holds to its end;
-- as every batch takes its locks in ascending order and a single call
-- holds one key's lock, no two batches, nor a batch and single calls, ever
-- wait for each other in a cycle. A later take of a key in the batch sees
-- the earlier ones: each statement of a volatile function reads the
-- transaction's own writes.
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
-- waiting for the WAL flush; then, for takes under a block, the Block's
-- For, After, Within, Factor and Max as {{.Blocking}} takes them (For
-- NULL, or a NULL array, for a take under none).
--
-- Result: one row per take, in no particular order: its index in the
-- arrays (from 1), then the function's result (blocked false for a take
-- under no block).

CREATE OR REPLACE FUNCTION {{.TakeBatch}}(
	p_keys bytea[], p_alg smallint, p_ns bigint[], p_nows bigint[],
	p_offsets integer[], p_intervals bigint[], p_limits bigint[], p_async boolean,
	p_for bigint[], p_after bigint[], p_within bigint[], p_factor bigint[], p_max bigint[])
RETURNS TABLE (idx integer, allowed boolean, rate integer, remaining bigint,
	retry_after bigint, reset_after bigint, ts bigint, blocked boolean)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	v_i integer;
BEGIN
	FOR v_i IN
		SELECT s.i FROM generate_subscripts(p_keys, 1) AS s(i)
		ORDER BY hashtextextended({{.LockPrefix}} || encode(p_keys[s.i], 'hex'), 0), s.i
	LOOP
		idx := v_i;
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
