package pgstore

import (
	"context"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// NewLimiter returns a limiter over a new [Store] on pool, in the default
// table ([DefaultTable]), that holds every name to rates. It runs
// [Store.Migrate] first, so the table and its function exist. The limiter
// owns the store: closing it closes the store, never the pool. Use [New],
// [Store.Migrate] and [ratelimit.New] to set store options too.
func NewLimiter(ctx context.Context, pool *pgxpool.Pool, rates []ratelimit.Rate, opts ...ratelimit.Option) (*ratelimit.Limiter, error) {
	s, err := New(pool, rates)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	l, err := ratelimit.New(s, opts...)
	if err != nil {
		s.Close()
		return nil, err
	}
	return l, nil
}
