-- The idle_at of a state row (see state_schema.sql): core.State's IdleAt
-- for the state of algorithm p_alg (1: GCRA, 2: the counter) under rates
-- of the intervals given, the time in milliseconds from which it counts
-- nothing, rounded up to a whole second (the smallest bigint when it
-- counts nothing now). The rounding leaves idle_at unchanged by most
-- updates, so that they keep every indexed column as it was and stay on
-- their page (HOT): no index entry per update. The sweeper drops a row up
-- to a second later.

CREATE OR REPLACE FUNCTION {{.IdleAt}}(p_alg smallint, p_intervals bigint[], p_state bigint[]) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
	v_idle bigint := -9223372036854775808;
BEGIN
	FOR i IN 1 .. cardinality(p_intervals) LOOP
		IF p_alg = 1 THEN
			v_idle := greatest(v_idle, p_state[2*i-1] + least(p_state[2*i], 1));
		ELSIF p_state[3*i] > 0 THEN
			v_idle := greatest(v_idle, p_state[3*i-2] + 2*p_intervals[i]);
		ELSIF p_state[3*i-1] > 0 THEN
			v_idle := greatest(v_idle, p_state[3*i-2] + p_intervals[i]);
		END IF;
	END LOOP;
	IF v_idle > -9223372036854775808 AND ((v_idle % 1000) + 1000) % 1000 > 0 THEN
		v_idle := v_idle - ((v_idle % 1000) + 1000) % 1000 + 1000;
	END IF;
	RETURN v_idle;
END
$fn$;
