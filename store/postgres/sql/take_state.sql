-- The take function of the constant-state algorithms: one call judges n
-- units under a key against rates with the rules of core.State's Decide,
-- GCRA (p_alg 1) or the sliding-window counter (p_alg 2), to the
-- millisecond and in the same integer arithmetic (bigint / and % truncate
-- toward zero as Go's do), and writes the key's row back if the take
-- changes it, so that a take is one round trip.
--
-- It decides with {{.DecideState}}, which also carries the row's state
-- over to the call's rates when they differ (a take writes the carried
-- state even when it admits nothing).
--
-- A call first reads the key's row without a lock (each statement of the
-- function reads with a snapshot of its own, READ COMMITTED: the latest
-- committed state) and decides on it. A decision that writes nothing (a
-- denial under unchanged rates, a check, a weight of 0) is then final: it
-- was made on a committed state, and stands at the moment of that read. A
-- take that writes takes the transaction-level advisory lock the log's
-- function takes on the key and reads the row again: if it is unchanged,
-- the decision stands and is written; if another take changed it
-- meanwhile, the clock is read again and the decision made again on the
-- row just read, under the lock. So writes on one key run one at a time,
-- each on the state the previous one committed; takes on other keys never
-- wait; a take that has to wait waits (bounded by the caller's context)
-- rather than fail; and the first, cold call of a connection plans its
-- expressions before it takes the lock, not while it holds it. The
-- server's clock is read after the row, so a take is never judged before a
-- take its state holds (as far as clock_timestamp() goes forward).
--
-- Only holders of the lock insert or update a key's row; the sweeper
-- deletes idle rows without it. If it deletes the row between this take's
-- read and its write, the UPDATE finds nothing and the row is inserted
-- again: the take is then ordered before the sweep, which found the state
-- idle and so counting nothing either way.
--
-- Parameters: the key; the algorithm; the weight n; the time in
-- milliseconds, or NULL for the server's clock (clock_timestamp()); each
-- rate's interval in milliseconds and limit, by ascending interval; whether
-- to take (false for a check); whether to commit without waiting for the
-- WAL flush.
--
-- Result (OUT parameters, one row): allowed; the index of the decision's
-- rate; remaining units; retry-after in milliseconds (-1: never);
-- reset-after in milliseconds; the time the take was judged at.

CREATE OR REPLACE FUNCTION {{.TakeState}}(
	p_key bytea, p_alg smallint, p_n bigint, p_now bigint,
	p_intervals bigint[], p_limits bigint[], p_take boolean, p_async boolean,
	OUT allowed boolean, OUT rate integer, OUT remaining bigint,
	OUT retry_after bigint, OUT reset_after bigint, OUT ts bigint)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	v_now       bigint;
	v_alg       smallint;
	v_intervals bigint[];
	v_limits    bigint[];
	v_state     bigint[];
	v_found     boolean;
	v_locked    boolean := false;
	v_reread    boolean := false;
	o_found     boolean;
	o_alg       smallint;
	o_intervals bigint[];
	o_limits    bigint[];
	o_state     bigint[];
	d           record;
BEGIN
  LOOP
	IF NOT v_reread THEN
		SELECT s.alg, s.intervals, s.limits, s.state INTO v_alg, v_intervals, v_limits, v_state
		FROM {{.State}} AS s WHERE s.key = p_key;
		v_found := FOUND;
	END IF;
	v_reread := false;
	-- The clock after the read: no earlier than any take the state holds.
	v_now := COALESCE(p_now, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
	d := {{.DecideState}}(p_alg, p_n, v_now, p_intervals, p_limits, p_take,
		v_alg, v_intervals, v_limits, v_state);
	EXIT WHEN d.state IS NULL; -- nothing to write: decided on a committed state
	IF NOT v_locked THEN
		PERFORM pg_advisory_xact_lock(hashtextextended({{.LockPrefix}} || encode(p_key, 'hex'), 0)),
			CASE WHEN p_async THEN set_config('synchronous_commit', 'off', true) END;
		v_locked := true;
		o_found := v_found; o_alg := v_alg; o_intervals := v_intervals; o_limits := v_limits; o_state := v_state;
		SELECT s.alg, s.intervals, s.limits, s.state INTO v_alg, v_intervals, v_limits, v_state
		FROM {{.State}} AS s WHERE s.key = p_key;
		v_found := FOUND;
		-- Changed since it was read: decide again on what was just read,
		-- under the lock.
		v_reread := v_found IS DISTINCT FROM o_found OR v_alg IS DISTINCT FROM o_alg
			OR v_intervals IS DISTINCT FROM o_intervals OR v_limits IS DISTINCT FROM o_limits
			OR v_state IS DISTINCT FROM o_state;
		CONTINUE WHEN v_reread;
	END IF;
	UPDATE {{.State}} SET alg = p_alg, intervals = p_intervals, limits = p_limits, state = d.state, idle_at = d.idle_at
	WHERE key = p_key;
	IF NOT FOUND THEN
		INSERT INTO {{.State}} (key, alg, intervals, limits, state, idle_at)
		VALUES (p_key, p_alg, p_intervals, p_limits, d.state, d.idle_at);
	END IF;
	EXIT;
  END LOOP;
	allowed := d.allowed; rate := d.rate; remaining := d.remaining;
	retry_after := d.retry_after; reset_after := d.reset_after;
	ts := v_now;
END
$fn$;
