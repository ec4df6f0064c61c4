-- Second half of the shift: the parked rows take their new before.
-- Parameter: name.
UPDATE {{.Table}} SET before = -1 - before WHERE name = ? AND before < 0
