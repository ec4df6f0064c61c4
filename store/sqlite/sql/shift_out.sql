-- First half of making room for a put stamped before the name's newest row:
-- every row from the given before on moves up by the put's weight, parked
-- at a negative before (-1 - new before) so that no two rows ever share a
-- primary key while the statement runs. Parameters: weight, name, before.
UPDATE {{.Table}} SET before = -1 - (before + ?) WHERE name = ? AND before >= ?
