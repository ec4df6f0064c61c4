package mpstore

import ratelimit "github.com/gorate/ratelimit/internal/oldcore"

// NewLimiter returns a limiter over the store file at path (see [Open]),
// holding every name to rates across every process that opens the same
// path. The limiter owns the store: closing it closes the store (the file
// stays). Use [Open] and [ratelimit.New] to set store options too.
func NewLimiter(path string, rates []ratelimit.Rate, opts ...ratelimit.Option) (*ratelimit.Limiter, error) {
	s, err := Open(path, rates)
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
