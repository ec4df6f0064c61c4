-- The decision of the constant-state algorithms: the judgement of n units
-- under rates at p_now, with the rules of core.State's Decide, GCRA (p_alg
-- 1) or the sliding-window counter (p_alg 2), to the millisecond and in the
-- same integer arithmetic (bigint / and % truncate toward zero as Go's
-- do), on a key's stored row: its alg, the rates its state was kept under,
-- and its state (all NULL for a key with none). It reads and writes
-- nothing: the take function and the batch take function call it on the
-- row they read.
--
-- When the call's rates differ from the row's, the state is first carried
-- over to them as core.State's carry does: a rate with an interval the row
-- has keeps its state (GCRA with another limit re-emits the units still
-- owed at the new limit's pace from now: gcraCarry), a rate with a new
-- interval starts empty, and a rate no longer listed is dropped. A take
-- writes the carried state even when it admits nothing; a check writes
-- nothing.
--
-- Result (OUT parameters, one row): allowed; the index of the decision's
-- rate; remaining units; retry-after in milliseconds (-1: never);
-- reset-after in milliseconds; the state to write (NULL: the take changes
-- nothing, or p_take is false) and its idle_at ({{.IdleAt}}).

CREATE OR REPLACE FUNCTION {{.DecideState}}(
	p_alg smallint, p_n bigint, p_now bigint, p_intervals bigint[], p_limits bigint[], p_take boolean,
	p_row_alg smallint, p_row_intervals bigint[], p_row_limits bigint[], p_row_state bigint[],
	OUT allowed boolean, OUT rate integer, OUT remaining bigint,
	OUT retry_after bigint, OUT reset_after bigint, OUT state bigint[], OUT idle_at bigint)
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
	v_n         integer := cardinality(p_intervals);
	v_width     integer := CASE p_alg WHEN 1 THEN 2 ELSE 3 END;
	v_state     bigint[] := p_row_state;
	v_write     boolean := false;
	v_new       bigint[];
	v_next      bigint[];
	v_fits      boolean;
	v_interval  bigint;
	v_limit     bigint;
	j           integer;
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
	reset_after := 0;
	IF p_row_alg IS DISTINCT FROM p_alg
		OR cardinality(p_row_limits) IS DISTINCT FROM cardinality(p_row_intervals)
		OR cardinality(v_state) IS DISTINCT FROM cardinality(p_row_intervals) * v_width THEN
		-- No state, or another algorithm's: no history.
		v_state := array_fill(0::bigint, ARRAY[v_n * v_width]);
	ELSIF p_row_intervals IS DISTINCT FROM p_intervals OR p_row_limits IS DISTINCT FROM p_limits THEN
		-- core.State's carry: match the rates by interval.
		v_new := array_fill(0::bigint, ARRAY[v_n * v_width]);
		FOR i IN 1 .. v_n LOOP
			j := array_position(p_row_intervals, p_intervals[i]);
			CONTINUE WHEN j IS NULL; -- a new interval starts empty
			IF p_alg = 1 THEN
				b_tat := v_state[2*j-1]; b_rem := v_state[2*j];
				IF p_row_limits[j] <> p_limits[i] THEN
					-- gcraCarry: the units still owed at now, rounded up,
					-- emitted at the new limit's pace from now.
					IF b_tat < p_now OR (b_tat = p_now AND b_rem = 0) THEN
						b_tat := 0; b_rem := 0;
					ELSE
						v_w := ((b_tat - p_now)*p_row_limits[j] + b_rem + p_intervals[i] - 1) / p_intervals[i] * p_intervals[i];
						b_tat := p_now + v_w / p_limits[i]; b_rem := v_w % p_limits[i];
					END IF;
				END IF;
				v_new[2*i-1] := b_tat; v_new[2*i] := b_rem;
			ELSE
				v_new[3*i-2] := v_state[3*j-2]; v_new[3*i-1] := v_state[3*j-1]; v_new[3*i] := v_state[3*j];
			END IF;
		END LOOP;
		v_state := v_new;
		v_write := true; -- a take keeps the carried state
	END IF;

	allowed := true; rate := 0; remaining := -1; retry_after := 0;
	IF p_alg = 1 THEN
		-- core's gcraDecide; v_next is the state an admitted take leaves.
		v_next := v_state;
		FOR i IN 1 .. v_n LOOP
			v_interval := p_intervals[i];
			v_limit := p_limits[i];
			b_tat := v_state[2*i-1]; b_rem := v_state[2*i];
			IF b_tat < p_now THEN
				b_tat := p_now; b_rem := 0;
			END IF;
			v_fits := p_n <= v_limit;
			IF v_fits THEN
				-- gcraAdd(base, n)
				v_w := p_n * v_interval;
				n_tat := b_tat + v_w / v_limit;
				n_rem := b_rem + v_w % v_limit;
				IF n_rem >= v_limit THEN
					n_rem := n_rem - v_limit; n_tat := n_tat + 1;
				END IF;
				v_fits := n_tat < p_now + v_interval OR (n_tat = p_now + v_interval AND n_rem = 0);
			END IF;
			IF NOT v_fits THEN
				IF allowed THEN
					allowed := false; rate := i - 1;
					-- gcraFit(base), gcraUntil(base, now)
					v_room := p_now + v_interval - b_tat;
					remaining := CASE WHEN v_room <= 0 THEN 0 ELSE greatest((v_room*v_limit - b_rem) / v_interval, 0) END;
					reset_after := greatest(b_tat - p_now + CASE WHEN b_rem > 0 THEN 1 ELSE 0 END, 0);
				END IF;
				IF p_n > v_limit THEN
					retry_after := -1;
				ELSIF retry_after >= 0 THEN
					-- gcraUntil(next, now + interval)
					retry_after := greatest(retry_after,
						greatest(n_tat - (p_now + v_interval) + CASE WHEN n_rem > 0 THEN 1 ELSE 0 END, 0));
				END IF;
				CONTINUE;
			END IF;
			v_next[2*i-1] := n_tat; v_next[2*i] := n_rem;
			-- gcraFit(next)
			v_room := p_now + v_interval - n_tat;
			v_left := CASE WHEN v_room <= 0 THEN 0 ELSE greatest((v_room*v_limit - n_rem) / v_interval, 0) END;
			IF allowed AND (remaining < 0 OR v_left < remaining) THEN
				rate := i - 1; remaining := v_left;
				reset_after := greatest(n_tat - p_now + CASE WHEN n_rem > 0 THEN 1 ELSE 0 END, 0);
			END IF;
		END LOOP;
		IF allowed AND p_n > 0 THEN
			v_write := true; v_state := v_next;
		END IF;
	ELSE
		-- core's counterDecide
		FOR i IN 1 .. v_n LOOP
			v_interval := p_intervals[i];
			v_limit := p_limits[i];
			c_start := v_state[3*i-2]; c_prev := v_state[3*i-1]; c_cur := v_state[3*i];
			-- counterRoll: mod is a floor modulo.
			c_win := p_now - ((p_now % v_interval) + v_interval) % v_interval;
			IF c_win <= c_start THEN
				NULL; -- the same window, or a time before it
			ELSIF c_win = c_start + v_interval THEN
				c_start := c_win; c_prev := c_cur; c_cur := 0;
			ELSE
				c_start := c_win; c_prev := 0; c_cur := 0;
			END IF;
			IF c_start <> v_state[3*i-2] THEN
				v_write := true; -- the roll changes the state (core keeps it)
			END IF;
			v_state[3*i-2] := c_start; v_state[3*i-1] := c_prev; v_state[3*i] := c_cur;
			v_e := greatest(p_now - c_start, 0);
			v_room := v_limit*v_interval - (c_prev*(v_interval - v_e) + c_cur*v_interval);
			IF p_n > v_limit THEN
				v_left := -1; -- never fits
			ELSIF v_room < p_n*v_interval THEN
				v_left := -2; -- does not fit now
			ELSE
				v_left := (v_room - p_n*v_interval) / v_interval;
			END IF;
			IF v_left < 0 THEN
				IF allowed THEN
					allowed := false; rate := i - 1; remaining := greatest(v_room / v_interval, 0);
					-- counterReset(s, now)
					reset_after := CASE WHEN c_cur > 0 THEN greatest(c_start + 2*v_interval - p_now, 0)
						WHEN c_prev > 0 THEN greatest(c_start + v_interval - p_now, 0) ELSE 0 END;
				END IF;
				IF v_left = -1 OR retry_after < 0 THEN
					retry_after := -1;
				ELSE
					-- counterWait(s, now, n)
					v_wait := NULL;
					v_a := v_limit - c_cur - p_n;
					IF v_a >= 0 AND c_prev > 0 THEN
						v_at := c_start + (v_interval - v_a*v_interval / c_prev);
						IF v_at < c_start + v_interval THEN
							v_wait := greatest(v_at - p_now, 1);
						END IF;
					END IF;
					IF v_wait IS NULL THEN
						IF c_cur = 0 THEN
							v_wait := greatest(c_start + v_interval - p_now, 1);
						ELSE
							v_wait := greatest(c_start + v_interval
								+ greatest(v_interval - (v_limit - p_n)*v_interval / c_cur, 0) - p_now, 1);
						END IF;
					END IF;
					retry_after := greatest(retry_after, v_wait);
				END IF;
				CONTINUE;
			END IF;
			IF allowed AND (remaining < 0 OR v_left < remaining) THEN
				rate := i - 1; remaining := v_left;
				-- counterReset(next, now), next.Cur = Cur + n
				reset_after := CASE WHEN c_cur + p_n > 0 THEN greatest(c_start + 2*v_interval - p_now, 0)
					WHEN c_prev > 0 THEN greatest(c_start + v_interval - p_now, 0) ELSE 0 END;
			END IF;
		END LOOP;
		IF allowed AND p_n > 0 THEN
			v_write := true;
			FOR i IN 1 .. v_n LOOP
				v_state[3*i] := v_state[3*i] + p_n;
			END LOOP;
		END IF;
	END IF;

	IF v_write AND p_take THEN
		state := v_state;
		idle_at := {{.IdleAt}}(p_alg, p_intervals, v_state);
	END IF;
END
$fn$;
