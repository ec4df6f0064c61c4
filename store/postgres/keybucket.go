package pgstore

import (
	"context"

	"github.com/gorate/ratelimit/internal/keyview"
)

// newView returns the operations a name's Bucket view forwards to.
func (s *Store) newView() *keyview.Ops {
	return &keyview.Ops{
		Rates:   s.rates,
		Put:     s.put,
		Waiting: s.waiting,
		Leak: func(ctx context.Context, name string, now int64) (int64, error) {
			return s.leak(ctx, &name, now)
		},
		Flush: s.flush,
		Count: s.count,
		Peek:  s.peek,
		Now:   func(ctx context.Context, _ string) (int64, error) { return s.Now(ctx) },
	}
}
