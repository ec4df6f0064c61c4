-- The log's take function: one call judges n units under a key against
-- rates with the rules of core.DecideLog and stores them if allowed, so
-- that a take is one round trip.
--
-- It first takes a transaction-level advisory lock on a hash of the table
-- and the key: takes on one key run one at a time (each later statement
-- sees the previous take committed), takes on other keys never wait, and a
-- take that has to wait waits (bounded by the caller's context) rather than
-- fail. Every later statement is an index seek.
--
-- A take (not a check) also keeps the key's log to the rates it was given:
-- it deletes the rows older than the largest interval, which count for no
-- rate of the take, and, when that interval is longer than the one the
-- rows were kept for, extends their expires to it. So the log holds the
-- units of the largest interval of the key's last take, whatever the rates
-- before it, and the sweeper deletes a row only once it counts for no rate
-- of that take. No row is kept for less time past its ts (expires - ts)
-- than the newest row, so the newest row's tells whether any row needs
-- extending.
--
-- Parameters: the key; the weight n; the time in milliseconds, or NULL for
-- the server's clock (clock_timestamp(), never earlier than the key's
-- newest row); each rate's interval in milliseconds and limit, by ascending
-- interval; whether to take (false for a check, which writes nothing);
-- whether to commit without waiting for the WAL flush.
--
-- Result (OUT parameters, one row): allowed; the index of the decision's
-- rate; remaining units; retry-after in milliseconds (-1: never);
-- reset-after in milliseconds; the time the take was judged at.

CREATE OR REPLACE FUNCTION {{.Take}}(
	p_key bytea, p_n bigint, p_now bigint,
	p_intervals bigint[], p_limits bigint[], p_take boolean, p_async boolean,
	OUT allowed boolean, OUT rate integer, OUT remaining bigint,
	OUT retry_after bigint, OUT reset_after bigint, OUT ts bigint)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	v_largest  bigint := p_intervals[cardinality(p_intervals)];
	v_now      bigint;
	v_newest   bigint;
	v_total    bigint;
	v_span     bigint;
	v_found    boolean;
	v_first    bigint;
	v_left     bigint;
	v_wait     bigint;
	v_bound    bigint;
	v_pos      bigint;
	v_expires  bigint;
	v_interval bigint;
	v_limit    bigint;
BEGIN
	-- The lock comes first, in a statement of its own: every later
	-- statement then reads with a snapshot that holds the previous take of
	-- the key. Committing without waiting for the disk is set for this
	-- transaction only.
	PERFORM pg_advisory_xact_lock(hashtextextended({{.LockPrefix}} || encode(p_key, 'hex'), 0)),
		CASE WHEN p_async THEN set_config('synchronous_commit', 'off', true) END;
	v_now := COALESCE(p_now, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
	SELECT n.ts, n.before + n.weight, n.expires - n.ts INTO v_newest, v_total, v_span
	FROM {{.Table}} AS n WHERE n.key = p_key ORDER BY n.before DESC LIMIT 1;
	v_found := FOUND;
	IF v_found AND p_now IS NULL AND v_newest > v_now THEN
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
			WHERE w.key = p_key AND w.ts >= v_now - v_interval
			ORDER BY w.ts, w.before LIMIT 1;
		END IF;
		v_left := v_limit - COALESCE(v_total - v_first, 0);
		IF v_left < p_n THEN
			IF allowed THEN
				allowed := false; rate := i - 1; remaining := greatest(v_left, 0);
			END IF;
			v_wait := -1;
			IF p_n <= v_limit THEN
				-- The (limit - n)-th newest unit: the row holding unit
				-- number total - 1 - (limit - n).
				v_bound := NULL;
				IF v_limit = p_n THEN
					v_bound := v_newest;
				ELSE
					SELECT b.ts INTO v_bound FROM {{.Table}} AS b
					WHERE b.key = p_key AND b.before <= v_total - 1 - (v_limit - p_n)
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
		ELSIF allowed AND (remaining < 0 OR v_left - p_n < remaining) THEN
			rate := i - 1; remaining := v_left - p_n;
		END IF;
	END LOOP;

	IF p_take AND v_found THEN
		DELETE FROM {{.Table}} AS o WHERE o.key = p_key AND o.ts < v_now - v_largest;
		IF v_span < v_largest THEN
			UPDATE {{.Table}} AS u SET expires = u.ts + v_largest
			WHERE u.key = p_key AND u.expires < u.ts + v_largest;
			v_span := v_largest;
		END IF;
	END IF;

	IF allowed AND p_n > 0 AND p_take THEN
		v_pos := COALESCE(v_total, 0);
		v_expires := v_now + v_largest;
		IF v_found AND v_now < v_newest THEN
			-- Stamped before the newest row (a client's clock gone back):
			-- slide it into place, moving the later rows' running totals up.
			-- The rows are parked at negative befores first so that no two
			-- ever share a primary key. It is kept at least as long past its
			-- ts as the newest row.
			v_expires := v_now + greatest(v_largest, v_span);
			SELECT s.before INTO v_pos FROM {{.Table}} AS s
			WHERE s.key = p_key AND s.ts > v_now ORDER BY s.ts, s.before LIMIT 1;
			UPDATE {{.Table}} AS u SET before = -1 - (u.before + p_n) WHERE u.key = p_key AND u.before >= v_pos;
			UPDATE {{.Table}} AS u SET before = -1 - u.before WHERE u.key = p_key AND u.before < 0;
		END IF;
		INSERT INTO {{.Table}} (key, before, ts, weight, expires) VALUES (p_key, v_pos, v_now, p_n, v_expires);
	END IF;

	IF allowed AND p_n > 0 AND (NOT v_found OR v_now > v_newest) THEN
		v_newest := v_now; v_found := true;
	END IF;
	reset_after := 0;
	IF v_found THEN
		reset_after := greatest(v_newest + p_intervals[rate + 1] - v_now + 1, 0);
	END IF;
	ts := v_now;
END
$fn$;
