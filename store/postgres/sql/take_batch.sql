-- The batch take function: one call takes for many callers at once, each
-- take decided exactly as its own call would decide it ({{.Take}} for the
-- log, p_alg 0; {{.TakeState}} for GCRA, 1, and the counter, 2; for a take
-- under a block, {{.Blocking}}), all in the caller's one transaction, so
-- that many takes cost one round trip and one commit.
--
-- With p_try, the call first tries each key's lock without waiting, in the
-- order of the keys' advisory-lock ids (the hash the take functions lock),
-- and passes over the takes of a key another transaction holds (busy): it
-- never waits for a lock, so a key held long holds back only its own takes,
-- which the caller sends again in a call of that key alone. Without p_try
-- (a call of one key), each function waits for its key's lock (the log and
-- blocks always, GCRA and the counter to write), in the same order, which
-- the transaction then holds to its end; a call that waits holds at most
-- that one key, so no two calls ever wait for each other in a cycle.
--
-- With p_try, the first take of each key (under no block) is decided
-- together with the other keys' first: one statement reads what the take
-- function would read for them all and judges them by its rules (under
-- GCRA and the counter, with the function it decides with), and one
-- statement of each kind writes what it would write (under the log, the
-- rows it deletes, the expires it extends and the rows it inserts; under
-- the others, the states). Every other take is then decided by its own
-- function, a key's in their order in the arrays, after its first: each
-- statement of a volatile function reads the transaction's own writes. So
-- is a first take under the log stamped before its key's newest row, which
-- the take function slides into place.
--
-- The function's statements are index seeks by key, whatever the size of
-- the arrays, whose contents the planner cannot see: their plans are made
-- once (a generic plan), without JIT, and never scan a whole table or hash
-- it.
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
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET jit = off
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
AS $fn$
DECLARE
	v_i     integer;
	v_lock  bigint;
	v_last  bigint;  -- the lock id of the take before, in lock order
	v_busy  bigint;  -- the lock id last found held by another transaction
	v_first integer[] := '{}'; -- the takes decided together: the first of each key
	v_rest  integer[] := '{}'; -- the takes decided one at a time, in lock order
	v_defer integer[] := '{}'; -- first takes of the log stamped before its newest row
	v_clock bigint;
	v_newest bigint;
	r       record;
	-- the writes of the first takes, made together after them (the log's
	-- rows deleted, extended and inserted; the states written)
	d_keys bytea[] := '{}'; d_cut bigint[] := '{}';
	u_keys bytea[] := '{}'; u_span bigint[] := '{}';
	i_keys bytea[] := '{}'; i_before bigint[] := '{}'; i_ts bigint[] := '{}';
	i_n bigint[] := '{}'; i_exp bigint[] := '{}';
	w_i integer[] := '{}'; w_end integer[] := '{}'; w_state bigint[] := '{}'; w_idle bigint[] := '{}';
BEGIN
	FOR v_i, v_lock IN
		SELECT s.i, hashtextextended({{.LockPrefix}} || encode(p_keys[s.i], 'hex'), 0) AS l
		FROM generate_subscripts(p_keys, 1) AS s(i)
		ORDER BY l, s.i
	LOOP
		-- Once a key is found busy, its later takes are passed over too,
		-- so that none is decided before an earlier one of its key.
		busy := false;
		IF p_try THEN
			busy := v_lock IS NOT DISTINCT FROM v_busy OR NOT pg_try_advisory_xact_lock(v_lock);
		END IF;
		IF busy THEN
			v_busy := v_lock;
			idx := v_i; allowed := false; rate := 0; remaining := 0; retry_after := 0;
			reset_after := 0; ts := 0; blocked := false;
			RETURN NEXT;
		ELSIF p_try AND p_for[v_i] IS NULL AND v_lock IS DISTINCT FROM v_last THEN
			-- The first take of a lock id (of a key, but for two keys of one
			-- id, which take turns), under no block, its lock held.
			v_first := v_first || v_i;
		ELSE
			v_rest := v_rest || v_i;
		END IF;
		v_last := v_lock;
	END LOOP;

	-- The first takes, each of its own key, are decided by one statement
	-- and written by one statement of each kind. The clock is read once,
	-- after every lock is held: never before a take a key holds.
	IF cardinality(v_first) > 0 THEN
		v_clock := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
		IF p_async THEN
			PERFORM set_config('synchronous_commit', 'off', true);
		END IF;
	END IF;
	IF cardinality(v_first) > 0 AND p_alg = 0 THEN
		-- The log: the statement reads what the take function reads (each
		-- key's newest row, each rate's window's first row and, for a rate
		-- that denies the take, the row of the unit it must wait for) and
		-- judges by its rules. A key's takes are never stamped before its
		-- newest row.
		FOR r IN
			SELECT s.i, n.ts AS newest, n.total, n.span, c.now, p_ns[s.i] AS n,
				p_intervals[p_offsets[s.i + 1]] AS largest, d.*
			FROM unnest(v_first) AS s(i)
			LEFT JOIN LATERAL (
				SELECT o.ts, o.before + o.weight AS total, o.expires - o.ts AS span
				FROM {{.Table}} AS o WHERE o.key = p_keys[s.i] ORDER BY o.before DESC LIMIT 1) AS n ON true
			CROSS JOIN LATERAL (SELECT COALESCE(p_nows[s.i], greatest(v_clock, n.ts)) AS now) AS c
			CROSS JOIN LATERAL (
				-- The rates' judgement, as the take function's loop makes it:
				-- the first rate that denies the take decides a denial; the
				-- one left with the fewest units (the first of those) an
				-- admission. A denial's retry-after is the longest wait of
				-- the rates that deny it, or -1 (never) if one never fits.
				SELECT min(w.k) FILTER (WHERE w.left < p_ns[s.i]) AS denier,
					(array_agg(greatest(w.left, 0) ORDER BY w.k) FILTER (WHERE w.left < p_ns[s.i]))[1] AS denied_left,
					(array_agg(w.k ORDER BY w.left, w.k))[1] AS fewest,
					min(w.left) - p_ns[s.i] AS fewest_left,
					CASE WHEN bool_or(w.wait < 0) THEN -1 ELSE COALESCE(max(w.wait), 0) END AS retry
				FROM (
					SELECT q.k - 1 AS k, l.left,
						CASE WHEN l.left >= p_ns[s.i] THEN NULL
							WHEN u.ts IS NULL THEN -1
							ELSE greatest(u.ts + q.iv - c.now + 1, 1)
						END AS wait
					FROM unnest(p_intervals[p_offsets[s.i] + 1 : p_offsets[s.i + 1]],
						p_limits[p_offsets[s.i] + 1 : p_offsets[s.i + 1]]) WITH ORDINALITY AS q(iv, lim, k)
					CROSS JOIN LATERAL (
						-- The window's units: the running total after the
						-- newest row minus the before of its first row.
						SELECT q.lim - COALESCE(n.total - (
							SELECT f.before FROM {{.Table}} AS f
							WHERE f.key = p_keys[s.i] AND f.ts >= c.now - q.iv
							ORDER BY f.ts, f.before LIMIT 1), 0) AS left OFFSET 0) AS l
					CROSS JOIN LATERAL (
						-- For a rate that denies the take, the time of the
						-- (limit - n)-th newest unit: the take fits once it
						-- leaves the window. None if the take never fits.
						SELECT CASE WHEN l.left >= p_ns[s.i] OR p_ns[s.i] > q.lim THEN NULL
							WHEN p_ns[s.i] = q.lim THEN n.ts
							ELSE (SELECT b.ts FROM {{.Table}} AS b
								WHERE b.key = p_keys[s.i] AND b.before <= n.total - 1 - (q.lim - p_ns[s.i])
								ORDER BY b.before DESC LIMIT 1)
						END AS ts OFFSET 0) AS u
				) AS w) AS d
		LOOP
			IF r.now < r.newest THEN
				-- Stamped before the key's newest row (a client's clock gone
				-- back): the take function slides it into place.
				v_defer := v_defer || r.i;
				CONTINUE;
			END IF;
			idx := r.i; busy := false; ts := r.now; blocked := false;
			allowed := r.denier IS NULL;
			IF allowed THEN
				rate := r.fewest; remaining := r.fewest_left; retry_after := 0;
			ELSE
				rate := r.denier; remaining := r.denied_left; retry_after := r.retry;
			END IF;
			v_newest := r.newest;
			IF allowed AND r.n > 0 THEN
				v_newest := r.now;
				i_keys := i_keys || p_keys[r.i]; i_before := i_before || COALESCE(r.total, 0);
				i_ts := i_ts || r.now; i_n := i_n || r.n; i_exp := i_exp || (r.now + r.largest);
			END IF;
			reset_after := 0;
			IF v_newest IS NOT NULL THEN
				reset_after := greatest(v_newest + p_intervals[p_offsets[r.i] + rate + 1] - r.now + 1, 0);
			END IF;
			RETURN NEXT;
			IF r.newest IS NOT NULL THEN
				-- The take function's upkeep of the key's log.
				d_keys := d_keys || p_keys[r.i]; d_cut := d_cut || (r.now - r.largest);
				IF r.span < r.largest THEN
					u_keys := u_keys || p_keys[r.i]; u_span := u_span || r.largest;
				END IF;
			END IF;
		END LOOP;
		IF cardinality(d_keys) > 0 THEN
			DELETE FROM {{.Table}} AS o USING unnest(d_keys, d_cut) AS d(key, cut)
			WHERE o.key = d.key AND o.ts < d.cut;
		END IF;
		IF cardinality(u_keys) > 0 THEN
			UPDATE {{.Table}} AS o SET expires = o.ts + u.span FROM unnest(u_keys, u_span) AS u(key, span)
			WHERE o.key = u.key AND o.expires < o.ts + u.span;
		END IF;
		IF cardinality(i_keys) > 0 THEN
			INSERT INTO {{.Table}} (key, before, ts, weight, expires)
			SELECT * FROM unnest(i_keys, i_before, i_ts, i_n, i_exp);
		END IF;
	ELSIF cardinality(v_first) > 0 THEN
		-- GCRA and the counter: the statement reads each key's row and
		-- decides with the take function's {{.DecideState}}; the states a
		-- take changes are written back (or inserted, for a key with none,
		-- or whose row the sweeper deleted meanwhile).
		FOR r IN
			SELECT s.i, c.now, d.*
			FROM unnest(v_first) AS s(i)
			LEFT JOIN {{.State}} AS o ON o.key = p_keys[s.i]
			CROSS JOIN LATERAL (SELECT COALESCE(p_nows[s.i], v_clock) AS now) AS c
			CROSS JOIN LATERAL {{.DecideState}}(p_alg, p_ns[s.i], c.now,
				p_intervals[p_offsets[s.i] + 1 : p_offsets[s.i + 1]],
				p_limits[p_offsets[s.i] + 1 : p_offsets[s.i + 1]], true,
				o.alg, o.intervals, o.limits, o.state) AS d
		LOOP
			idx := r.i; busy := false; ts := r.now; blocked := false;
			allowed := r.allowed; rate := r.rate; remaining := r.remaining;
			retry_after := r.retry_after; reset_after := r.reset_after;
			RETURN NEXT;
			IF r.state IS NOT NULL THEN
				w_i := w_i || r.i; w_state := w_state || r.state;
				w_end := w_end || cardinality(w_state); w_idle := w_idle || r.idle_at;
			END IF;
		END LOOP;
		IF cardinality(w_i) > 0 THEN
			INSERT INTO {{.State}} AS o (key, alg, intervals, limits, state, idle_at)
			SELECT p_keys[w.i], p_alg, p_intervals[p_offsets[w.i] + 1 : p_offsets[w.i + 1]],
				p_limits[p_offsets[w.i] + 1 : p_offsets[w.i + 1]], w_state[w.since + 1 : w.until], w.idle
			FROM unnest(w_i, (ARRAY[0] || w_end)[1 : cardinality(w_end)], w_end, w_idle) AS w(i, since, until, idle)
			ON CONFLICT (key) DO UPDATE SET alg = excluded.alg, intervals = excluded.intervals,
				limits = excluded.limits, state = excluded.state, idle_at = excluded.idle_at;
		END IF;
	END IF;

	-- The takes decided one at a time, each by the function its own call
	-- would run, after the log's writes: a key's first take deferred comes
	-- before its later ones.
	FOREACH v_i IN ARRAY v_defer || v_rest LOOP
		idx := v_i; busy := false; blocked := false;
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
