-- The decision function of the constant-state algorithms: one call judges a
-- put against a name's state row with the rules of ratelimit.GCRA (p_alg 1)
-- or ratelimit.SlidingWindowCounter (p_alg 2), to the millisecond and in
-- the same integer arithmetic (bigint / and % truncate toward zero as Go's
-- do), and writes the row back if the put changes it, so that a put is one
-- round trip.
--
-- A call first reads the name's row without a lock (each statement of the
-- function reads with a snapshot of its own, READ COMMITTED: the latest
-- committed state) and decides on it. A decision that writes nothing (a
-- denial, a Waiting, a weight of 0) is then final: it was made on a
-- committed state, and stands at the moment of that read. A put that
-- writes takes the transaction-level advisory lock the log's function
-- takes on the name and reads the row again: if it is unchanged, the
-- decision stands and is written; if another put changed it meanwhile, the
-- clock is read again and the decision made again on the row just read,
-- under the lock. So writes on one name run one at a time, each on the
-- state the previous one committed; puts on other names never wait; a put
-- that has to wait waits (bounded by the caller's context) rather than
-- fail; and the first, cold call of a connection plans its expressions
-- before it takes the lock, not while it holds it. The server's clock is
-- read after the row, so a put is never judged before a put its state
-- holds (as far as clock_timestamp() goes forward).
--
-- Only holders of the lock insert or update a name's row; a leak deletes
-- idle rows without it. If a leak deletes the row between this put's read
-- and its write, the UPDATE finds nothing and the row is inserted again:
-- the put is then ordered before the leak, which found the state idle and
-- so counts nothing either way.
--
-- Parameters: the name; the algorithm; the weight; the time in
-- milliseconds, or NULL for the server's clock (clock_timestamp()); each
-- rate's interval in milliseconds and limit, by ascending interval; whether
-- to store (false for Waiting); whether to commit without waiting for the
-- WAL flush.
--
-- Result (OUT parameters, one row): allowed; the index of the decision's
-- rate; remaining units; retry-after in milliseconds (-1: never);
-- reset-after in milliseconds; the time the put was judged at.

CREATE OR REPLACE FUNCTION {{.Decide}}(
	p_name bytea, p_alg smallint, p_weight bigint, p_ts bigint,
	p_intervals bigint[], p_limits bigint[], p_store boolean, p_async boolean,
	OUT allowed boolean, OUT rate integer, OUT remaining bigint,
	OUT retry_after bigint, OUT reset_after bigint, OUT ts bigint)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	v_n        integer := cardinality(p_intervals);
	v_width    integer := CASE p_alg WHEN 1 THEN 2 ELSE 3 END;
	v_now      bigint;
	v_alg      smallint;
	v_state    bigint[];
	v_found    boolean;
	v_write    boolean;
	v_locked   boolean := false;
	v_reread   boolean := false;
	v_new      bigint[];
	o_found    boolean;
	o_alg      smallint;
	o_state    bigint[];
	v_interval bigint;
	v_limit    bigint;
	v_reset    bigint;
	v_idle     bigint;
	-- GCRA: the base and the next state of a rate.
	b_tat bigint; b_rem bigint; n_tat bigint; n_rem bigint;
	-- The counter: a rate's rolled windows.
	c_start bigint; c_prev bigint; c_cur bigint; c_win bigint;
	v_w     bigint;
	v_e     bigint;
	v_room  bigint;
	v_left  bigint;
	v_wait  bigint;
	v_a     bigint;
	v_at    bigint;
BEGIN
  LOOP
	IF NOT v_reread THEN
		SELECT s.alg, s.state INTO v_alg, v_state FROM {{.State}} AS s WHERE s.name = p_name;
		v_found := FOUND;
	END IF;
	v_reread := false;
	-- The clock after the read: no earlier than any put the state holds.
	v_now := COALESCE(p_ts, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
	o_found := v_found; o_alg := v_alg; o_state := v_state;
	v_write := false; v_reset := 0; v_idle := -9223372036854775808;
	IF NOT v_found OR v_alg IS DISTINCT FROM p_alg OR cardinality(v_state) IS DISTINCT FROM v_n * v_width THEN
		-- No state, or another algorithm's or rate list's: start afresh.
		v_state := array_fill(0::bigint, ARRAY[v_n * v_width]);
	END IF;

	allowed := true; rate := 0; remaining := -1; retry_after := 0;
	IF p_alg = 1 THEN
		-- ratelimit.GCRA.DecideInto
		FOR i IN 1 .. v_n LOOP
			v_interval := p_intervals[i];
			v_limit := p_limits[i];
			b_tat := v_state[2*i-1]; b_rem := v_state[2*i];
			IF b_tat < v_now THEN
				b_tat := v_now; b_rem := 0;
			END IF;
			IF p_weight > v_limit THEN
				IF allowed THEN
					allowed := false; rate := i - 1;
					-- gcraFit(base), gcraUntil(base, now)
					v_room := v_now + v_interval - b_tat;
					remaining := CASE WHEN v_room <= 0 THEN 0 ELSE greatest((v_room*v_limit - b_rem) / v_interval, 0) END;
					v_reset := greatest(b_tat - v_now + CASE WHEN b_rem > 0 THEN 1 ELSE 0 END, 0);
				END IF;
				retry_after := -1;
				CONTINUE;
			END IF;
			-- gcraAdd(base, weight)
			v_w := p_weight * v_interval;
			n_tat := b_tat + v_w / v_limit;
			n_rem := b_rem + v_w % v_limit;
			IF n_rem >= v_limit THEN
				n_rem := n_rem - v_limit; n_tat := n_tat + 1;
			END IF;
			IF n_tat > v_now + v_interval OR (n_tat = v_now + v_interval AND n_rem > 0) THEN
				IF allowed THEN
					allowed := false; rate := i - 1;
					v_room := v_now + v_interval - b_tat;
					remaining := CASE WHEN v_room <= 0 THEN 0 ELSE greatest((v_room*v_limit - b_rem) / v_interval, 0) END;
					v_reset := greatest(b_tat - v_now + CASE WHEN b_rem > 0 THEN 1 ELSE 0 END, 0);
				END IF;
				IF retry_after >= 0 THEN
					-- gcraUntil(next, now + interval)
					retry_after := greatest(retry_after,
						greatest(n_tat - (v_now + v_interval) + CASE WHEN n_rem > 0 THEN 1 ELSE 0 END, 0));
				END IF;
				CONTINUE;
			END IF;
			-- gcraFit(next)
			v_room := v_now + v_interval - n_tat;
			v_left := CASE WHEN v_room <= 0 THEN 0 ELSE greatest((v_room*v_limit - n_rem) / v_interval, 0) END;
			IF allowed AND (remaining < 0 OR v_left < remaining) THEN
				rate := i - 1; remaining := v_left;
				v_reset := greatest(n_tat - v_now + CASE WHEN n_rem > 0 THEN 1 ELSE 0 END, 0);
			END IF;
		END LOOP;
		IF allowed AND p_weight > 0 AND p_store THEN
			v_write := true;
			FOR i IN 1 .. v_n LOOP
				v_interval := p_intervals[i];
				v_limit := p_limits[i];
				b_tat := v_state[2*i-1]; b_rem := v_state[2*i];
				IF b_tat < v_now THEN
					b_tat := v_now; b_rem := 0;
				END IF;
				v_w := p_weight * v_interval;
				n_tat := b_tat + v_w / v_limit;
				n_rem := b_rem + v_w % v_limit;
				IF n_rem >= v_limit THEN
					n_rem := n_rem - v_limit; n_tat := n_tat + 1;
				END IF;
				v_state[2*i-1] := n_tat; v_state[2*i] := n_rem;
			END LOOP;
		END IF;
		IF v_write THEN
			FOR i IN 1 .. v_n LOOP
				v_idle := greatest(v_idle, v_state[2*i-1] + least(v_state[2*i], 1));
			END LOOP;
		END IF;
	ELSE
		-- ratelimit.SlidingWindowCounter.DecideInto
		FOR i IN 1 .. v_n LOOP
			v_interval := p_intervals[i];
			v_limit := p_limits[i];
			c_start := v_state[3*i-2]; c_prev := v_state[3*i-1]; c_cur := v_state[3*i];
			-- counterRoll: mod is a floor modulo.
			c_win := v_now - ((v_now % v_interval) + v_interval) % v_interval;
			IF c_win <= c_start THEN
				NULL; -- the same window, or a time before it
			ELSIF c_win = c_start + v_interval THEN
				c_start := c_win; c_prev := c_cur; c_cur := 0;
			ELSE
				c_start := c_win; c_prev := 0; c_cur := 0;
			END IF;
			IF v_found AND c_start <> v_state[3*i-2] THEN
				v_write := true; -- the roll changes a stored state
			END IF;
			v_state[3*i-2] := c_start; v_state[3*i-1] := c_prev; v_state[3*i] := c_cur;
			v_e := greatest(v_now - c_start, 0);
			v_room := v_limit*v_interval - (c_prev*(v_interval - v_e) + c_cur*v_interval);
			IF p_weight > v_limit THEN
				v_left := -1; -- never fits
			ELSIF v_room < p_weight*v_interval THEN
				v_left := -2; -- does not fit now
			ELSE
				v_left := (v_room - p_weight*v_interval) / v_interval;
			END IF;
			IF v_left < 0 THEN
				IF allowed THEN
					allowed := false; rate := i - 1; remaining := greatest(v_room / v_interval, 0);
					-- counterReset(s, now)
					v_reset := CASE WHEN c_cur > 0 THEN greatest(c_start + 2*v_interval - v_now, 0)
						WHEN c_prev > 0 THEN greatest(c_start + v_interval - v_now, 0) ELSE 0 END;
				END IF;
				IF v_left = -1 OR retry_after < 0 THEN
					retry_after := -1;
				ELSE
					-- counterWait(s, now, weight)
					v_wait := NULL;
					v_a := v_limit - c_cur - p_weight;
					IF v_a >= 0 AND c_prev > 0 THEN
						v_at := c_start + (v_interval - v_a*v_interval / c_prev);
						IF v_at < c_start + v_interval THEN
							v_wait := greatest(v_at - v_now, 1);
						END IF;
					END IF;
					IF v_wait IS NULL THEN
						IF c_cur = 0 THEN
							v_wait := greatest(c_start + v_interval - v_now, 1);
						ELSE
							v_wait := greatest(c_start + v_interval
								+ greatest(v_interval - (v_limit - p_weight)*v_interval / c_cur, 0) - v_now, 1);
						END IF;
					END IF;
					retry_after := greatest(retry_after, v_wait);
				END IF;
				CONTINUE;
			END IF;
			IF allowed AND (remaining < 0 OR v_left < remaining) THEN
				rate := i - 1; remaining := v_left;
				-- counterReset(next, now), next.Cur = Cur + weight
				v_reset := CASE WHEN c_cur + p_weight > 0 THEN greatest(c_start + 2*v_interval - v_now, 0)
					WHEN c_prev > 0 THEN greatest(c_start + v_interval - v_now, 0) ELSE 0 END;
			END IF;
		END LOOP;
		IF allowed AND p_weight > 0 THEN
			v_write := true;
			FOR i IN 1 .. v_n LOOP
				v_state[3*i] := v_state[3*i] + p_weight;
			END LOOP;
		END IF;
		IF v_write THEN
			FOR i IN 1 .. v_n LOOP
				IF v_state[3*i] > 0 THEN
					v_idle := greatest(v_idle, v_state[3*i-2] + 2*p_intervals[i]);
				ELSIF v_state[3*i-1] > 0 THEN
					v_idle := greatest(v_idle, v_state[3*i-2] + p_intervals[i]);
				END IF;
			END LOOP;
		END IF;
	END IF;

	EXIT WHEN NOT (v_write AND p_store); -- nothing to write: decided on a committed state
	v_new := v_state;
	-- idle_at is rounded up to a whole second, so that most updates leave
	-- every indexed column as it was and stay on their page (HOT): no index
	-- entry per update. A leak drops a row up to a second later.
	IF v_idle > -9223372036854775808 AND ((v_idle % 1000) + 1000) % 1000 > 0 THEN
		v_idle := v_idle - ((v_idle % 1000) + 1000) % 1000 + 1000;
	END IF;
	IF NOT v_locked THEN
		PERFORM pg_advisory_xact_lock(hashtextextended({{.LockPrefix}} || encode(p_name, 'hex'), 0)),
			CASE WHEN p_async THEN set_config('synchronous_commit', 'off', true) END;
		v_locked := true;
		SELECT s.alg, s.state INTO v_alg, v_state FROM {{.State}} AS s WHERE s.name = p_name;
		v_found := FOUND;
		-- Changed since it was read: decide again on what was just read,
		-- under the lock.
		v_reread := v_found IS DISTINCT FROM o_found OR v_alg IS DISTINCT FROM o_alg OR v_state IS DISTINCT FROM o_state;
		CONTINUE WHEN v_reread;
	END IF;
	UPDATE {{.State}} SET alg = p_alg, state = v_new, idle_at = v_idle WHERE name = p_name;
	IF NOT FOUND THEN
		INSERT INTO {{.State}} (name, alg, state, idle_at) VALUES (p_name, p_alg, v_new, v_idle);
	END IF;
	EXIT;
  END LOOP;
	reset_after := v_reset;
	ts := v_now;
END
$fn$;
