-- The block table of a store, created idempotently in one transaction with
-- the store's own table, and added as it is to a database an earlier
-- version made (that version neither reads nor writes it).
--
-- One row per key whose block (ratelimit.Block) still matters: the fields
-- of core.BlockState, in the store's clock (ms), and idle_at, the time from
-- which the row is as good as none (the block is over, the next would not
-- escalate, no counted denial counts), so that the sweeper finds idle rows
-- through the (idle_at) index without a scan. Each table of the store
-- (the log's, _gcra, _counter) has a block table of its own, its name plus
-- _block, so that Reset forgets a key's block with its units.
CREATE TABLE IF NOT EXISTS {{.BlockTable}} (
	key      TEXT    NOT NULL PRIMARY KEY, -- the key the block is kept under
	until_at INTEGER NOT NULL,             -- end of the last block (ms)
	level    INTEGER NOT NULL,             -- blocks in a row, 0 before the first
	denials  INTEGER NOT NULL,             -- denials counted toward the next block
	since    INTEGER NOT NULL,             -- when the first of them was counted (ms)
	idle_at  INTEGER NOT NULL              -- time (ms) from which the row counts nothing
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {{.BlockIdleIndex}} ON {{.BlockTable}} (idle_at);
