-- The decision function: one call judges a put against a name's rows with
-- the rules of ratelimit.SlidingWindowLog and stores it if allowed, so that
-- a put is one round trip.
--
-- It first takes a transaction-level advisory lock on a hash of the table
-- and the name: puts on one name run one at a time (each later statement
-- sees the previous put committed), puts on other names never wait, and a
-- put that has to wait waits (bounded by the caller's context) rather than
-- fail. Every later statement is an index seek.
--
-- Parameters: the name; the put's own name (NULL when it is the name); the
-- weight; the time in milliseconds, or NULL for the server's clock
-- (clock_timestamp(), never earlier than the name's newest row); each
-- rate's interval in milliseconds and limit, by ascending interval; whether
-- to store an allowed put (false for Waiting); whether to commit without
-- waiting for the WAL flush.
--
-- Result (OUT parameters, one row): allowed; the index of the decision's
-- rate; remaining units; retry-after in milliseconds (-1: never);
-- reset-after in milliseconds; the time the put was judged at.

CREATE OR REPLACE FUNCTION {{.Acquire}}(
	p_name bytea, p_item bytea, p_weight bigint, p_ts bigint,
	p_intervals bigint[], p_limits bigint[], p_store boolean, p_async boolean,
	OUT allowed boolean, OUT rate integer, OUT remaining bigint,
	OUT retry_after bigint, OUT reset_after bigint, OUT ts bigint)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	v_now      bigint;
	v_newest   bigint;
	v_total    bigint;
	v_found    boolean;
	v_first    bigint;
	v_left     bigint;
	v_wait     bigint;
	v_bound    bigint;
	v_pos      bigint;
	v_interval bigint;
	v_limit    bigint;
BEGIN
	-- The lock comes first, in a statement of its own: every later
	-- statement then reads with a snapshot that holds the previous put of
	-- the name. Committing without waiting for the disk is set for this
	-- transaction only.
	PERFORM pg_advisory_xact_lock(hashtextextended({{.LockPrefix}} || encode(p_name, 'hex'), 0)),
		CASE WHEN p_async THEN set_config('synchronous_commit', 'off', true) END;
	v_now := COALESCE(p_ts, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
	SELECT n.ts, n.before + n.weight INTO v_newest, v_total
	FROM {{.Table}} AS n WHERE n.name = p_name ORDER BY n.before DESC LIMIT 1;
	v_found := FOUND;
	IF v_found AND p_ts IS NULL AND v_newest > v_now THEN
		v_now := v_newest; -- the server's clock never stamps before the newest row
	END IF;

	allowed := true; rate := 0; remaining := -1; retry_after := 0;
	FOR i IN 1 .. cardinality(p_intervals) LOOP
		v_interval := p_intervals[i];
		v_limit := p_limits[i];
		-- The window's units: the running total after the newest row minus
		-- the before of the window's first row.
		v_first := NULL;
		IF v_found THEN
			SELECT w.before INTO v_first FROM {{.Table}} AS w
			WHERE w.name = p_name AND w.ts >= v_now - v_interval
			ORDER BY w.ts, w.before LIMIT 1;
		END IF;
		v_left := v_limit - COALESCE(v_total - v_first, 0);
		IF v_left < p_weight THEN
			IF allowed THEN
				allowed := false; rate := i - 1; remaining := greatest(v_left, 0);
			END IF;
			v_wait := -1;
			IF p_weight <= v_limit THEN
				-- The (limit - weight)-th newest unit: the row holding unit
				-- number total - 1 - (limit - weight).
				v_bound := NULL;
				IF v_limit = p_weight THEN
					v_bound := v_newest;
				ELSE
					SELECT b.ts INTO v_bound FROM {{.Table}} AS b
					WHERE b.name = p_name AND b.before <= v_total - 1 - (v_limit - p_weight)
					ORDER BY b.before DESC LIMIT 1;
				END IF;
				IF v_bound IS NOT NULL THEN
					v_wait := greatest(v_bound + v_interval - v_now + 1, 1);
				END IF;
			END IF;
			IF v_wait < 0 OR retry_after < 0 THEN
				retry_after := -1;
			ELSE
				retry_after := greatest(retry_after, v_wait);
			END IF;
		ELSIF allowed AND (remaining < 0 OR v_left - p_weight < remaining) THEN
			rate := i - 1; remaining := v_left - p_weight;
		END IF;
	END LOOP;

	IF allowed AND p_weight > 0 AND p_store THEN
		v_pos := COALESCE(v_total, 0);
		IF v_found AND v_now < v_newest THEN
			-- Stamped before the newest row (an explicit time): slide it into
			-- place, moving the later rows' running totals up. The rows are
			-- parked at negative befores first so that no two ever share a
			-- primary key.
			SELECT s.before INTO v_pos FROM {{.Table}} AS s
			WHERE s.name = p_name AND s.ts > v_now ORDER BY s.ts, s.before LIMIT 1;
			UPDATE {{.Table}} AS u SET before = -1 - (u.before + p_weight) WHERE u.name = p_name AND u.before >= v_pos;
			UPDATE {{.Table}} AS u SET before = -1 - u.before WHERE u.name = p_name AND u.before < 0;
		END IF;
		INSERT INTO {{.Table}} (name, before, ts, weight, item) VALUES (p_name, v_pos, v_now, p_weight, p_item);
	END IF;

	IF allowed AND p_weight > 0 AND (NOT v_found OR v_now > v_newest) THEN
		v_newest := v_now; v_found := true;
	END IF;
	reset_after := 0;
	IF v_found THEN
		reset_after := greatest(v_newest + p_intervals[rate + 1] - v_now + 1, 0);
	END IF;
	ts := v_now;
END
$fn$;
