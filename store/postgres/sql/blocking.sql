-- The blocking function: one call is a take under a block
-- (ratelimit.Blocker's TakeBlocking) or a hold of a block of a given
-- length (its Block), with the rules of core.BlockState, which it mirrors
-- in the same integer arithmetic, so that either is one round trip, in
-- one transaction.
--
-- It takes the key's advisory lock first, under every algorithm (held to
-- the end of the transaction: the key's block row is read and written by
-- one call at a time, and the writes of other takes on the key come before
-- or after the whole call), then reads the clock once: the server's clock,
-- under the log never before the key's newest row, as the log's take
-- function reads it; or p_now. Then it reads the key's block row (none: a
-- key never blocked, the zero state).
--
-- A take (p_n not NULL) runs the take function of the algorithm at that
-- time: as a check, which takes nothing, while the key is blocked
-- (core.BlockState's Blocks), as a take otherwise. It then judges the
-- decision as core.BlockState's Judge does: a blocked key's take is denied
-- until the block's end; otherwise a denial of at least one unit that some
-- wait could cure is counted, unless p_for is 0 (the zero Block counts
-- nothing), and the p_after-th denial counted within p_within of the first
-- (the first when p_after is at most 1) blocks the key from now for p_for,
-- or escalated by p_factor when the block begins less than the previous
-- block's length after its end and before the row's idle_at, up to p_max.
-- A hold (p_n NULL) blocks the key from now for p_for unless it is blocked
-- longer already, and leaves its escalation as it was (core.BlockState's
-- Hold).
--
-- The row is written only when the call changed it. A changed row always
-- counts something after now, so it is never deleted here: the sweeper
-- deletes it from its idle_at on, without the lock. A row the sweeper
-- deletes after this call read it was idle, as good as none: the call
-- writes it back only if it changed it.
--
-- Parameters: the key; the algorithm (0: the log, 1: GCRA, 2: the
-- counter); the weight n, or NULL for a hold; the time in milliseconds, or
-- NULL for the server's clock; each rate's interval in milliseconds and
-- limit, by ascending interval (NULL for a hold); whether to commit without
-- waiting for the WAL flush; the Block's For (a hold's length), After,
-- Within, Factor, and Max (ratelimit.MaxInterval for none), For, Within and
-- Max in milliseconds.
--
-- Result (OUT parameters, one row): the take function's, then whether the
-- key is blocked, when allowed is false, remaining 0, and retry-after
-- (unless -1, never) and reset-after at least the time left of the block.
-- A hold's are NULL.

CREATE OR REPLACE FUNCTION {{.Blocking}}(
	p_key bytea, p_alg smallint, p_n bigint, p_now bigint,
	p_intervals bigint[], p_limits bigint[], p_async boolean,
	p_for bigint, p_after bigint, p_within bigint, p_factor bigint, p_max bigint,
	OUT allowed boolean, OUT rate integer, OUT remaining bigint,
	OUT retry_after bigint, OUT reset_after bigint, OUT ts bigint, OUT blocked boolean)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	v_now      bigint;
	v_until    bigint;
	v_level    bigint;
	v_denials  bigint;
	v_since    bigint;
	v_idle     bigint;
	v_read     bigint[];
	v_blocks   boolean;
	v_complete boolean;
	v_left     bigint; -- the time left of the key's block, once it blocks the take
BEGIN
	PERFORM pg_advisory_xact_lock(hashtextextended({{.LockPrefix}} || encode(p_key, 'hex'), 0)),
		CASE WHEN p_async THEN set_config('synchronous_commit', 'off', true) END;
	v_now := COALESCE(p_now, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
	IF p_alg = 0 AND p_now IS NULL THEN
		-- The log's take stamps no earlier than the key's newest row
		-- (greatest ignores the NULL of a key with none).
		v_now := greatest(v_now, (SELECT n.ts FROM {{.Table}} AS n WHERE n.key = p_key ORDER BY n.before DESC LIMIT 1));
	END IF;
	SELECT b.until_at, b.level, b.denials, b.since, b.idle_at INTO v_until, v_level, v_denials, v_since, v_idle
	FROM {{.Blocks}} AS b WHERE b.key = p_key;
	IF NOT FOUND THEN
		v_until := 0; v_level := 0; v_denials := 0; v_since := 0; v_idle := 0;
	END IF;
	v_read := ARRAY[v_until, v_level, v_denials, v_since, v_idle];
	v_blocks := v_level > 0 AND v_now < v_until; -- Blocks

	IF p_n IS NULL THEN
		-- Hold
		IF NOT (v_blocks AND v_until >= v_now + p_for) THEN
			v_level := greatest(v_level, 1);
			v_until := v_now + p_for;
			v_idle := greatest(v_idle, v_until);
		END IF;
	ELSE
		IF p_alg = 0 THEN
			SELECT t.allowed, t.rate, t.remaining, t.retry_after, t.reset_after, t.ts
			INTO allowed, rate, remaining, retry_after, reset_after, ts
			FROM {{.Take}}(p_key, p_n, v_now, p_intervals, p_limits, NOT v_blocks, p_async) AS t;
		ELSE
			SELECT t.allowed, t.rate, t.remaining, t.retry_after, t.reset_after, t.ts
			INTO allowed, rate, remaining, retry_after, reset_after, ts
			FROM {{.TakeState}}(p_key, p_alg, p_n, v_now, p_intervals, p_limits, NOT v_blocks, p_async) AS t;
		END IF;
		-- Judge
		IF v_blocks THEN
			v_left := v_until - v_now;
		ELSIF allowed OR p_n = 0 OR retry_after = -1 OR p_for = 0 THEN
			NULL; -- nothing to count, or (the zero Block) nothing counts
		ELSE
			v_complete := true;
			IF p_after > 1 THEN
				IF v_denials = 0 OR v_now - v_since >= p_within THEN
					v_since := v_now; v_denials := 0;
				END IF;
				v_denials := v_denials + 1;
				v_complete := v_denials >= p_after;
				IF v_complete THEN
					v_denials := 0;
				ELSE
					v_idle := greatest(v_idle, v_since + p_within);
				END IF;
			END IF;
			IF v_complete THEN
				IF v_level > 0 AND v_now < v_until + {{.BlockLength}}(p_for, p_factor, p_max, v_level) AND v_now < v_idle THEN
					v_level := least(v_level + 1, 64);
				ELSE
					v_level := 1;
				END IF;
				v_left := {{.BlockLength}}(p_for, p_factor, p_max, v_level);
				v_until := v_now + v_left;
				v_idle := v_until + v_left; -- no denial counts any more
			END IF;
		END IF;
		-- core's blocked: the denial of a key blocked for v_left more
		blocked := v_left IS NOT NULL;
		IF blocked THEN
			allowed := false; remaining := 0;
			IF retry_after >= 0 THEN
				retry_after := greatest(retry_after, v_left);
			END IF;
			reset_after := greatest(reset_after, v_left);
		END IF;
	END IF;

	IF ARRAY[v_until, v_level, v_denials, v_since, v_idle] <> v_read THEN
		INSERT INTO {{.Blocks}} AS b (key, until_at, level, denials, since, idle_at)
		VALUES (p_key, v_until, v_level, v_denials, v_since, v_idle)
		ON CONFLICT (key) DO UPDATE SET until_at = EXCLUDED.until_at, level = EXCLUDED.level,
			denials = EXCLUDED.denials, since = EXCLUDED.since, idle_at = EXCLUDED.idle_at;
	END IF;
END
$fn$;
