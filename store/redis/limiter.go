package redisstore

import (
	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/redis/go-redis/v9"
)

// NewLimiter returns a limiter over a new [Store] on client that holds every
// name to rates, with the default key prefix. The limiter owns the store:
// closing it closes the store, never client. Use [New] and [ratelimit.New]
// to set store options too.
func NewLimiter(client redis.Scripter, rates []ratelimit.Rate, opts ...ratelimit.Option) (*ratelimit.Limiter, error) {
	s, err := New(client, rates)
	if err != nil {
		return nil, err
	}
	l, err := ratelimit.New(s, opts...)
	if err != nil {
		s.Close()
		return nil, err
	}
	return l, nil
}
