package redisstore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gorate/ratelimit"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// One store serves every limiter: here 2 a minute per user. It runs against
// the server at 127.0.0.1:6379 (the package's tests skip it when there is
// none).
func Example() {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close() // the store never closes the client

	store, err := redisstore.New(client, redisstore.WithPrefix("example:"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Reset(ctx, "user:42")
	limiter, err := ratelimit.New(store, ratelimit.PerMinute(2))
	if err != nil {
		log.Fatal(err)
	}
	for range 3 {
		d, err := limiter.Allow(ctx, "user:42")
		if err != nil {
			log.Fatal(err) // fail open or closed: your call
		}
		fmt.Println(d.Allowed, d.Remaining)
	}
	// Output:
	// true 1
	// true 0
	// false 0
}

// GCRA keeps 16 bytes per rate and key whatever the traffic: a limit of
// 1000 an hour on a million clients costs a million small keys, not up to a
// billion log entries.
func ExampleWithAlgorithm() {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()

	store, err := redisstore.New(client, redisstore.WithPrefix("example:"), redisstore.WithAlgorithm(ratelimit.GCRA))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Reset(ctx, "203.0.113.7")
	rates, err := ratelimit.NewRates(ratelimit.PerSecond(10), ratelimit.PerHour(1000))
	if err != nil {
		log.Fatal(err)
	}
	d, err := store.Take(ctx, "203.0.113.7", rates, 4)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d)
	// Output: allowed by 10/s: 6 left, reset in 400ms
}

// Refunding the requests that succeed counts only the failures: here 2
// failed logins a minute per user, however many succeed.
func ExampleStore_Refund() {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()

	store, err := redisstore.New(client, redisstore.WithPrefix("example:"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Reset(ctx, "login:ann")
	limiter, err := ratelimit.New(store, ratelimit.PerMinute(2))
	if err != nil {
		log.Fatal(err)
	}
	for _, succeeds := range []bool{true, true, true, false, false, false} {
		d, err := limiter.Allow(ctx, "login:ann")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(d.Allowed)
		if d.Allowed && succeeds {
			if _, err := limiter.Refund(ctx, "login:ann", d, 1); err != nil {
				log.Fatal(err)
			}
		}
	}
	// Output:
	// true
	// true
	// true
	// true
	// true
	// false
}

// A Cluster client works the same: each key's state is in one slot. It
// needs a Cluster, so it has no output to check: it only compiles.
func ExampleNew_cluster() {
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"}})
	defer client.Close()

	store, err := redisstore.New(client, redisstore.WithPrefix("api:"))
	if err != nil {
		log.Fatal(err)
	}
	limiter, err := ratelimit.New(store, ratelimit.PerMinute(100))
	if err != nil {
		log.Fatal(err)
	}
	d, err := limiter.AllowN(context.Background(), "tenant-7", 5)
	fmt.Println(d.Allowed, err)
}
