package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
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

// scanDeleter is what cleanup needs of a single-node or cluster client.
type scanDeleter interface {
	redis.Scripter
	Scan(ctx context.Context, cursor uint64, match string, count int64) *redis.ScanCmd
	Del(ctx context.Context, keys ...string) *redis.IntCmd
}

// uniquePrefix returns a key prefix no other test uses, whose keys are
// deleted at the test's end.
func uniquePrefix(t testing.TB, c scanDeleter) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "ratelimittest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() { deleteKeys(c, prefix) })
	return prefix
}

// deleteKeys deletes the keys under prefix on a single node.
func deleteKeys(c scanDeleter, prefix string) {
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

// newStore returns a Store on c with a fresh prefix, closed at the test's
// end.
func newStore(t testing.TB, c scanDeleter, rates ...ratelimit.Rate) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(c, rates, redisstore.WithPrefix(uniquePrefix(t, c)))
	if err != nil {
		t.Fatalf("New(%v): %v", rates, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
