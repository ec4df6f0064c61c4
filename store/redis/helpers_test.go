package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// requireServers reports whether a missing server fails the test instead of
// skipping it, as CI asks.
func requireServers() bool {
	return os.Getenv("CI") == "true" || os.Getenv("RATELIMIT_REQUIRE_SERVERS") == "1"
}

// unreachable skips t, or fails it when servers are required.
func unreachable(t testing.TB, format string, args ...any) {
	t.Helper()
	if requireServers() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (set CI=true or RATELIMIT_REQUIRE_SERVERS=1 to make this a failure)", args...)
}

// newClient returns a client of the server at REDIS_URL (default
// redis://127.0.0.1:6379/0), closed at the test's end.
func newClient(t testing.TB) *redis.Client {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL %q: %v", url, err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		unreachable(t, "redis at %s is unreachable: %v", url, err)
	}
	return c
}

// uniquePrefix returns a key prefix no other test uses, whose keys are
// deleted at the test's end (on a single node; a test's Cluster goes away
// with its keys).
func uniquePrefix(t testing.TB, c redis.UniversalClient) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "ratelimittest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() { deleteKeys(c, prefix) })
	return prefix
}

// deleteKeys deletes the keys under prefix.
func deleteKeys(c redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return
		}
		for _, k := range keys {
			c.Del(ctx, k)
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}

// newStore returns a Store on c under a fresh prefix with opts, closed at
// the test's end.
func newStore(t testing.TB, c redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	s, _ := prefixedStore(t, c, opts...)
	return s
}

// prefixedStore is newStore, also returning the prefix.
func prefixedStore(t testing.TB, c redis.UniversalClient, opts ...redisstore.Option) (*redisstore.Store, string) {
	t.Helper()
	prefix := uniquePrefix(t, c)
	s, err := redisstore.New(c, append([]redisstore.Option{redisstore.WithPrefix(prefix)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, prefix
}

// mustRates returns the valid list of rs, or fails t.
func mustRates(t testing.TB, rs ...ratelimit.Rate) ratelimit.Rates {
	t.Helper()
	list, err := ratelimit.NewRates(rs...)
	if err != nil {
		t.Fatalf("NewRates(%v): %v", rs, err)
	}
	return list
}

// per returns a rate of n units per d.
func per(n int64, d time.Duration) ratelimit.Rate { return ratelimit.Rate{Limit: n, Interval: d} }

// algorithms are the algorithms the store offers.
var algorithms = []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter}
