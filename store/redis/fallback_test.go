package redisstore_test

import (
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/fallback"
	"github.com/gorate/ratelimit/store/fallback/fallbacktest"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestFallbackOutage kills a private redis-server under HTTP load through
// fallback stores and restarts it: fallbacktest.Outage checks no 503, the
// fleet's admissions against the fallback's bound, the return within 1s and
// no goroutine left.
func TestFallbackOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dir := t.TempDir()
	srv := startServer(t, dir)
	fallbacktest.Outage(t, fallbacktest.Primary{
		Connect: func(t *testing.T) (ratelimit.Store, func()) {
			// No retries: the fallback store is the retry.
			c := redis.NewClient(&redis.Options{Addr: srv.addr(), DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
			s, err := redisstore.New(c)
			if err != nil {
				t.Fatal(err)
			}
			return s, func() { s.Close(); c.Close() }
		},
		Kill:  func(*testing.T) { srv.kill() },
		Start: func(*testing.T) { srv.start(dir) },
		// Under -race on a loaded 2-core machine, a take sometimes passes
		// 100ms (see fallback.DefaultTimeout), which would switch before
		// the kill; the outage is seen by its errors.
		Options: []fallback.Option{fallback.WithTimeout(time.Second)},
	})
}
