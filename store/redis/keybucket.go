package redisstore

import (
	"context"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/keyview"
)

// newView returns the operations a name's Bucket view forwards to.
func (s *Store) newView() *keyview.Ops {
	return &keyview.Ops{
		Rates: s.rates,
		Put: func(ctx context.Context, d *ratelimit.Decision, name string, item ratelimit.Item, now bool) error {
			mode := modePut
			if now {
				mode = modeNow
			}
			return s.put(ctx, d, name, mode, item)
		},
		Waiting: s.waiting,
		Leak:    s.leak,
		Flush:   s.flush,
		Count:   s.count,
		Peek:    s.peek,
		Now:     s.now,
	}
}
