package memorystore

import ratelimit "github.com/gorate/ratelimit/internal/oldcore"

// NewLimiter returns a limiter over a new [Store] that holds every name to
// rates (PyrateLimiter's create_inmemory_limiter). The limiter owns the store:
// closing it closes the store. Use [New] and [ratelimit.New] to set store
// options too.
func NewLimiter(rates []ratelimit.Rate, opts ...ratelimit.Option) (*ratelimit.Limiter, error) {
	s, err := New(rates)
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
