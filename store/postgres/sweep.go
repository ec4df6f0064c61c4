package pgstore

import (
	"context"
	"log/slog"
	"time"
)

// sweepBatch is the most rows one sweep statement deletes, so that a sweep
// holds its row locks for a millisecond or so at a time.
const sweepBatch = 1000

// sweeper runs sweep every interval until ctx ends, logging failures.
func (s *Store) sweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.sweep(ctx); err != nil && ctx.Err() == nil {
			slog.Default().Warn("pgstore: sweep failed", "table", s.table, "err", err)
		}
	}
}

// sweep deletes, batch by batch, the log's rows that expired and the state
// and block rows that are idle, at the Store's clock; it returns how many
// rows it deleted.
func (s *Store) sweep(ctx context.Context) (int64, error) {
	now := s.now()
	var total int64
	for _, q := range []string{s.q.sweepLog, s.q.sweepState, s.q.sweepBlock} {
		for {
			tag, err := s.pool.Exec(ctx, q, now, sweepBatch)
			if err != nil {
				return total, err
			}
			total += tag.RowsAffected()
			if tag.RowsAffected() < sweepBatch {
				break
			}
		}
	}
	return total, nil
}
