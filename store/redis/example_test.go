package redisstore_test

import (
	"context"
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// It needs a server, so it has no output to check: it only compiles.
func ExampleNewLimiter() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close() // the limiter never closes the client

	limiter, err := redisstore.NewLimiter(client, []ratelimit.Rate{ratelimit.PerSecond(10), ratelimit.PerHour(1000)})
	if err != nil {
		panic(err)
	}
	defer limiter.Close()
	d, err := limiter.Allow(context.Background(), "user:42")
	if err != nil {
		fmt.Println("redis unavailable:", err) // fail open or closed: your call
		return
	}
	fmt.Println(d.Allowed, d.Remaining, d.Rate)
}

// A Cluster client works the same: each name's keys share one slot.
func ExampleNew_cluster() {
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"}})
	defer client.Close()

	store, err := redisstore.New(client, []ratelimit.Rate{ratelimit.PerMinute(100)}, redisstore.WithPrefix("api:"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	d, err := store.Acquire(context.Background(), "tenant-7", 5)
	fmt.Println(d.Allowed, err)
}

// GCRA keeps 16 bytes per rate and name whatever the traffic: a limit of
// 1000/hour on a million clients costs a million small keys, not up to a
// billion log entries.
func ExampleWithAlgorithm() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()

	store, err := redisstore.New(client,
		[]ratelimit.Rate{ratelimit.PerSecond(10), ratelimit.PerHour(1000)},
		redisstore.WithAlgorithm(ratelimit.AlgorithmGCRA))
	if err != nil {
		panic(err)
	}
	limiter, err := ratelimit.New(store)
	if err != nil {
		panic(err)
	}
	defer limiter.Close() // closes the store, never the client
	d, err := limiter.Allow(context.Background(), "203.0.113.7")
	fmt.Println(d.Allowed, d.Remaining, d.RetryAfter, err)
}
