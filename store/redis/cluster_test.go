package redisstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestCluster starts a real three-master Redis Cluster on loopback and runs
// the suite through a ClusterClient: every script touches one key, whose
// hash tag keeps a key's state in one slot, so no CROSSSLOT and no
// redirection changes a decision; and concurrent takes, pipelined in
// batches that go-redis splits by node, admit exactly each key's limit.
// It then checks that keys spread over the masters.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	addrs := startCluster(t)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("cluster ping: %v", err)
	}
	t.Run("Conformance", func(t *testing.T) { conformance(t, c) })
	t.Run("BatchedExact", func(t *testing.T) { batchedExact(t, c) })

	s := newStore(t, c)
	rs := mustRates(t, per(5, time.Minute))
	for _, key := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "{x}", "}{", "\x00"} {
		if d, err := s.Take(t.Context(), key, rs, 5); err != nil || !d.Allowed {
			t.Fatalf("Take(%q) = %v, %v", key, d, err)
		}
	}
	var used atomic.Int64 // ForEachMaster runs fn concurrently
	err := c.ForEachMaster(t.Context(), func(ctx context.Context, m *redis.Client) error {
		if n, err := m.DBSize(ctx).Result(); err == nil && n > 0 {
			used.Add(1)
		}
		return nil
	})
	if err != nil || used.Load() < 2 {
		t.Fatalf("keys landed on %d masters (%v), want them spread", used.Load(), err)
	}
}

// TestRing runs the suite, and concurrent takes pipelined in batches (which
// go-redis splits by shard), through a Ring of two private servers.
func TestRing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	dir := t.TempDir()
	a, b := startServer(t, dir), startServer(t, dir)
	c := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": a.addr(), "b": b.addr()}})
	t.Cleanup(func() { c.Close() })
	t.Run("Conformance", func(t *testing.T) { conformance(t, c) })
	t.Run("BatchedExact", func(t *testing.T) { batchedExact(t, c) })
}
