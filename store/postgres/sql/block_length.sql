-- The length in milliseconds of a block at p_level (from 1) under a Block
-- of For p_for, Factor p_factor and cap p_max (ms): core's blockLength,
-- For × Factor^(level-1), capped at p_max, in the same integer arithmetic
-- (never past the cap, so never overflowing). The blocking function calls
-- it.

CREATE OR REPLACE FUNCTION {{.BlockLength}}(p_for bigint, p_factor bigint, p_max bigint, p_level bigint) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
	v_length bigint := p_for;
	v_level  bigint := p_level;
BEGIN
	WHILE v_level > 1 AND p_factor > 1 AND v_length < p_max LOOP
		IF v_length > p_max / p_factor THEN
			RETURN p_max;
		END IF;
		v_length := v_length * p_factor;
		v_level := v_level - 1;
	END LOOP;
	RETURN least(v_length, p_max);
END
$fn$;
