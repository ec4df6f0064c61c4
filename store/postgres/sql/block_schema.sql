-- The block table (ratelimit.Block), created idempotently beside the
-- log's and the state table by the same migration, whatever algorithm the
-- Store uses, and added as it is to tables an earlier version made (that
-- version neither reads nor writes it).
--
-- One row per key whose block still matters: the fields of
-- core.BlockState in the store's milliseconds (server time: Unix
-- milliseconds), idle_at being its Idle, the time from which the row is as
-- good as none (the block is over, the next would not escalate, no counted
-- denial counts), so that the sweeper deletes idle rows by an index range.
-- Blocks are kept apart from the key's units, so that takes and checks
-- never read this table; only the blocking function writes it, under the
-- key's advisory lock, and only when a decision changes the state.
CREATE TABLE IF NOT EXISTS {{.Blocks}} (
	key      bytea  PRIMARY KEY,
	until_at bigint NOT NULL, -- end of the last block
	level    bigint NOT NULL, -- blocks in a row, 0 before the first
	denials  bigint NOT NULL, -- denials counted toward the next block
	since    bigint NOT NULL, -- when the first of them was counted
	idle_at  bigint NOT NULL  -- from when the row counts nothing
);
CREATE INDEX IF NOT EXISTS {{.BlockIdleIndex}} ON {{.Blocks}} (idle_at);
