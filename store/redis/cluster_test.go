package redisstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestCluster starts a real three-master Redis Cluster on loopback and runs
// the suite through a ClusterClient: every script touches one key, whose
// hash tag keeps a name in one slot, so no CROSSSLOT and no redirection
// changes a decision. It then checks that names spread over the masters.
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
	for _, alg := range algorithms {
		t.Run("Conformance/"+string(alg), func(t *testing.T) { ratelimittest.Run(t, clusterHarness(c, alg)) })
	}

	s, err := redisstore.New(c, []ratelimit.Rate{ratelimit.PerMinute(5)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "{x}", "}{", "\x00"} {
		if d, err := s.Acquire(t.Context(), name, 5); err != nil || !d.Allowed {
			t.Fatalf("Acquire(%q) = %+v, %v", name, d, err)
		}
	}
	var used atomic.Int64 // ForEachMaster runs fn concurrently
	err = c.ForEachMaster(t.Context(), func(ctx context.Context, m *redis.Client) error {
		if n, err := m.DBSize(ctx).Result(); err == nil && n > 0 {
			used.Add(1)
		}
		return nil
	})
	if err != nil || used.Load() < 2 {
		t.Fatalf("names landed on %d masters (%v), want them spread", used.Load(), err)
	}
}

// clusterHarness makes Stores on the cluster; their keys are removed with
// the cluster at the test's end.
func clusterHarness(c *redis.ClusterClient, alg ratelimit.Algorithm) ratelimittest.Harness {
	open := func(t *testing.T, rates ratelimit.Rates) *redisstore.Store {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		s, err := redisstore.New(c, rates, redisstore.WithPrefix("t"+time.Now().Format("150405.000000000")+":"), redisstore.WithAlgorithm(alg))
		if err != nil || c.Ping(ctx).Err() != nil {
			t.Fatalf("New: %v", err)
		}
		return s
	}
	return ratelimittest.Harness{
		Algorithm: alg,
		NewBucket: func(t *testing.T, rates ratelimit.Rates) ratelimit.Bucket {
			s := open(t, rates)
			b, err := s.Bucket(t.Context(), "key")
			if err != nil {
				t.Fatal(err)
			}
			return ratelimittest.StoreView(b, s)
		},
		NewFactory: func(t *testing.T, rates ratelimit.Rates) ratelimit.Factory { return open(t, rates) },
	}
}
