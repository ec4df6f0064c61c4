package sqlitestore

import ratelimit "github.com/gorate/ratelimit/internal/oldcore"

// NewLimiter returns a limiter over a new [Store] on the SQLite file at path
// that holds every name to rates (PyrateLimiter's create_sqlite_limiter). An
// empty path means [DefaultPath], one stable file shared by every caller
// (PyrateLimiter's db_path=None made a new temporary file per call). The
// limiter owns the store: closing it closes the store and its database. Use
// [Open] and [ratelimit.New] to set store options too.
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
