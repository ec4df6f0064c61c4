-- The settle function of the constant-state algorithms: one call refunds n
-- units of a take of a key at p_at, or (p_at NULL) charges n units
-- whatever the limits, with the rules of core.State's Refund and Charge,
-- GCRA (p_alg 1) or the sliding-window counter (p_alg 2), in the same
-- integer arithmetic, and returns the key's standing after it, so that a
-- refund or a charge is one round trip, in one transaction.
--
-- It takes the key's advisory lock first (held to the end of the
-- transaction: the writes of takes on the key come before or after the
-- whole call), reads the clock, then runs the take function for 0 units at
-- that time, which carries the state to the rates and rolls the counter's
-- windows, and writes that. It reads the row so made (a row of another
-- algorithm or none is no history) and, per rate:
--   - a GCRA refund moves the TAT back by the part of the take not yet
--     emitted (from p_at + n emission intervals back to now), at most the
--     part of the TAT after now, and nothing when p_at lies after now;
--   - a GCRA charge adds n emission intervals to the TAT, or to now if
--     the TAT is before it;
--   - a counter refund takes n units, at most all it holds, off the
--     window holding p_at if it is the current or the previous one;
--   - a counter charge adds n units to the current window;
-- and writes the row if it changed. The standing is a check of 0 units at
-- that same time.
--
-- Parameters: the key; the algorithm; n; the time in milliseconds, or NULL
-- for the server's clock; the refunded take's time, or NULL for a charge;
-- the rates' intervals in milliseconds and limits, by ascending interval;
-- whether to commit without waiting for the WAL flush.
--
-- Result: the take function's.

CREATE OR REPLACE FUNCTION {{.SettleState}}(
	p_key bytea, p_alg smallint, p_n bigint, p_now bigint, p_at bigint,
	p_intervals bigint[], p_limits bigint[], p_async boolean,
	OUT allowed boolean, OUT rate integer, OUT remaining bigint,
	OUT retry_after bigint, OUT reset_after bigint, OUT ts bigint)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	v_n         integer := cardinality(p_intervals);
	v_width     integer := CASE p_alg WHEN 1 THEN 2 ELSE 3 END;
	v_now       bigint;
	v_alg       smallint;
	v_intervals bigint[];
	v_limits    bigint[];
	v_state     bigint[];
	v_new       bigint[];
	v_interval  bigint;
	v_limit     bigint;
	v_tat       bigint;
	v_rem       bigint;
	v_w         bigint;
	v_back      bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtextextended({{.LockPrefix}} || encode(p_key, 'hex'), 0)),
		CASE WHEN p_async THEN set_config('synchronous_commit', 'off', true) END;
	v_now := COALESCE(p_now, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
	-- core.State's Refund of a take after now carries the state but rolls
	-- no window: then the counter's take is at a time before every window
	-- (carrying the counter is the same at any time).
	PERFORM {{.TakeState}}(p_key, p_alg, 0, CASE WHEN p_alg = 2 AND p_at > v_now THEN -4611686018427387904 ELSE v_now END,
		p_intervals, p_limits, true, p_async);
	SELECT s.alg, s.intervals, s.limits, s.state INTO v_alg, v_intervals, v_limits, v_state
	FROM {{.State}} AS s WHERE s.key = p_key;
	IF NOT FOUND OR v_alg <> p_alg OR v_intervals <> p_intervals OR v_limits <> p_limits
		OR cardinality(v_state) <> v_n * v_width THEN
		v_state := array_fill(0::bigint, ARRAY[v_n * v_width]);
	END IF;
	v_new := v_state;
	FOR i IN 1 .. v_n LOOP
		v_interval := p_intervals[i];
		v_limit := p_limits[i];
		IF p_alg = 1 THEN
			v_tat := v_state[2*i-1]; v_rem := v_state[2*i];
			v_w := p_n * v_interval;
			IF p_at IS NULL THEN
				-- gcraAdd(base, n), base the TAT or now
				IF v_tat < v_now THEN
					v_tat := v_now; v_rem := 0;
				END IF;
				v_tat := v_tat + v_w / v_limit; v_rem := v_rem + v_w % v_limit;
				IF v_rem >= v_limit THEN
					v_rem := v_rem - v_limit; v_tat := v_tat + 1;
				END IF;
			ELSIF p_at <= v_now THEN
				-- gcraRefund, in 1/limit ms: back is the emission time
				-- from now to p_at + n·T, at most the TAT's after now.
				v_back := CASE WHEN p_at + v_w / v_limit < v_now THEN 0
					ELSE (p_at + v_w / v_limit - v_now)*v_limit + v_w % v_limit END;
				IF v_tat - v_now <= v_interval THEN
					v_back := least(v_back, CASE WHEN v_tat < v_now THEN 0 ELSE (v_tat - v_now)*v_limit + v_rem END);
				END IF;
				IF v_back > 0 THEN
					v_tat := v_tat - v_back / v_limit; v_rem := v_rem - v_back % v_limit;
					IF v_rem < 0 THEN
						v_rem := v_rem + v_limit; v_tat := v_tat - 1;
					END IF;
				END IF;
			END IF;
			v_new[2*i-1] := v_tat; v_new[2*i] := v_rem;
		ELSIF p_at IS NULL THEN
			v_new[3*i] := v_state[3*i] + p_n;
		ELSIF p_at > v_now THEN
			NULL; -- another clock's reading: nothing back
		ELSIF p_at >= v_state[3*i-2] THEN
			v_new[3*i] := v_state[3*i] - least(p_n, v_state[3*i]);
		ELSIF p_at >= v_state[3*i-2] - v_interval THEN
			v_new[3*i-1] := v_state[3*i-1] - least(p_n, v_state[3*i-1]);
		END IF;
	END LOOP;
	IF v_new <> v_state THEN
		UPDATE {{.State}} SET alg = p_alg, intervals = p_intervals, limits = p_limits, state = v_new,
			idle_at = {{.IdleAt}}(p_alg, p_intervals, v_new)
		WHERE key = p_key;
		IF NOT FOUND THEN
			INSERT INTO {{.State}} (key, alg, intervals, limits, state, idle_at)
			VALUES (p_key, p_alg, p_intervals, p_limits, v_new, {{.IdleAt}}(p_alg, p_intervals, v_new));
		END IF;
	END IF;
	SELECT c.allowed, c.rate, c.remaining, c.retry_after, c.reset_after, c.ts
	INTO allowed, rate, remaining, retry_after, reset_after, ts
	FROM {{.TakeState}}(p_key, p_alg, 0, v_now, p_intervals, p_limits, false, p_async) AS c;
END
$fn$;
