package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/fallback"
	"github.com/gorate/ratelimit/store/fallback/fallbacktest"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestFallbackOutage stops a private PostgreSQL (immediate shutdown) under
// HTTP load through fallback stores and starts it again:
// fallbacktest.Outage checks no 503, the fleet's admissions against the
// fallback's bound, the return within 1s and no goroutine left.
func TestFallbackOutage(t *testing.T) {
	srv := privatePostgres(t)
	fallbacktest.Outage(t, fallbacktest.Primary{
		Connect: func(t *testing.T) (ratelimit.Store, func()) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			pool, err := pgxpool.New(ctx, srv.dsn())
			if err != nil {
				t.Fatal(err)
			}
			s, err := pgstore.New(ctx, pool)
			if err != nil {
				pool.Close()
				t.Fatal(err)
			}
			return s, func() { s.Close(); pool.Close() }
		},
		Kill:  srv.stop,
		Start: srv.start,
		// Under -race on a loaded 2-core machine, a PostgreSQL take now and
		// then passes 100ms, even 1s (see fallback.DefaultTimeout), which
		// would switch while the server is up; the outage is seen by its
		// errors.
		Options: []fallback.Option{fallback.WithTimeout(3 * time.Second)},
	})
}
