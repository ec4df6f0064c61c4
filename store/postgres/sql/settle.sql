-- The log's settle function: one call refunds n units of a take of a key
-- stamped p_at, or (p_at NULL) charges n units whatever the limits, and
-- returns the key's standing after it, so that a refund or a charge is one
-- round trip, in one transaction.
--
-- It first runs the take function, which takes the key's advisory lock
-- (held to the end of the transaction, so that takes on the key come
-- before or after the whole call), reads the clock as a take does, and
-- keeps the log to the rates. For a charge, that take is of the n units
-- against limits no log reaches (2^62), so that it stores them, slid into
-- place if stamped before the newest row, as an admitted take would be.
-- For a refund, it is a take of 0 units; then, unless p_at lies after
-- that take's time, up to n units of the rows stamped p_at are removed,
-- newest row first (a row left with no unit is deleted), and every later
-- row's running total moves down by the units removed. Rows no longer
-- held (expired, swept) give nothing back. The standing is a check of 0
-- units at that same time.
--
-- Parameters: the key; n; the time in milliseconds, or NULL for the
-- server's clock; the refunded take's time, or NULL for a charge; the
-- rates' intervals in milliseconds and limits, by ascending interval;
-- whether to commit without waiting for the WAL flush.
--
-- Result: the take function's.

CREATE OR REPLACE FUNCTION {{.Settle}}(
	p_key bytea, p_n bigint, p_now bigint, p_at bigint,
	p_intervals bigint[], p_limits bigint[], p_async boolean,
	OUT allowed boolean, OUT rate integer, OUT remaining bigint,
	OUT retry_after bigint, OUT reset_after bigint, OUT ts bigint)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	v_now bigint;
	v_cut bigint := 0; -- units removed
	v_row record;
BEGIN
	IF p_at IS NULL THEN
		SELECT t.ts INTO v_now FROM {{.Take}}(p_key, p_n, p_now, p_intervals,
			array_fill(4611686018427387904::bigint, ARRAY[cardinality(p_limits)]), true, p_async) AS t;
	ELSE
		SELECT t.ts INTO v_now FROM {{.Take}}(p_key, 0, p_now, p_intervals, p_limits, true, p_async) AS t;
	END IF;
	IF p_at <= v_now THEN
		FOR v_row IN SELECT r.before, r.weight FROM {{.Table}} AS r
			WHERE r.key = p_key AND r.ts = p_at ORDER BY r.before DESC
		LOOP
			EXIT WHEN v_cut = p_n;
			IF v_row.weight <= p_n - v_cut THEN
				DELETE FROM {{.Table}} AS d WHERE d.key = p_key AND d.before = v_row.before;
				v_cut := v_cut + v_row.weight;
			ELSE
				UPDATE {{.Table}} AS u SET weight = u.weight - (p_n - v_cut)
				WHERE u.key = p_key AND u.before = v_row.before;
				v_cut := p_n;
			END IF;
		END LOOP;
		IF v_cut > 0 THEN
			-- The later rows (all stamped after p_at) move down, parked at
			-- negative befores first so that no two ever share a primary key.
			UPDATE {{.Table}} AS u SET before = -1 - (u.before - v_cut) WHERE u.key = p_key AND u.ts > p_at;
			UPDATE {{.Table}} AS u SET before = -1 - u.before WHERE u.key = p_key AND u.before < 0;
		END IF;
	END IF;
	SELECT c.allowed, c.rate, c.remaining, c.retry_after, c.reset_after, c.ts
	INTO allowed, rate, remaining, retry_after, reset_after, ts
	FROM {{.Take}}(p_key, 0, v_now, p_intervals, p_limits, false, p_async) AS c;
END
$fn$;
