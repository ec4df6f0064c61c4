// Command redis shows one limit shared by every process that uses the same
// Redis server: each decision is one round trip, timed by the server's
// clock. Each run tries three takes; run it three times, a second or more
// apart but within a minute, even from different hosts:
//
//	go run ./examples/redis   # 1 and 2 allowed, 2/s denies the 3rd: retry in about a second
//	go run ./examples/redis   # 2 more allowed (4 of 5/min), 2/s denies the 3rd again
//	go run ./examples/redis   # the 5th allowed, then 5/min denies: retry within the minute
//
// The server is REDIS_URL (default redis://127.0.0.1:6379/0) unless -url
// says otherwise; the program exits with status 1 and says so when it is
// unreachable.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/gorate/ratelimit"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

func main() {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	flag.StringVar(&url, "url", url, "Redis `URL`")
	flag.Parse()
	if err := run(context.Background(), url); err != nil {
		fmt.Fprintln(os.Stderr, "redis example:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url string) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return fmt.Errorf("bad Redis URL %q: %w", url, err)
	}
	opt.MaxRetries = -1 // fail fast when there is no server
	redis.SetLogger(quiet{})
	client := redis.NewClient(opt)
	defer client.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		return fmt.Errorf("cannot reach Redis at %s (start redis-server or set REDIS_URL): %w", url, err)
	}

	store, err := redisstore.New(client) // never closes the client
	if err != nil {
		return err
	}
	defer store.Close()
	limiter, err := ratelimit.New(store, ratelimit.PerSecond(2), ratelimit.PerMinute(5))
	if err != nil {
		return err
	}
	defer limiter.Close()

	const key = "example:nightly-report"
	for i := range 3 {
		d, err := limiter.Allow(ctx, key)
		if err != nil {
			return err
		}
		if !d.Allowed {
			fmt.Printf("take %d: denied by %s, retry in %s\n", i+1, d.Rate, d.RetryAfter.Round(time.Millisecond))
			return nil
		}
		fmt.Printf("take %d: allowed, %d left under %s\n", i+1, d.Remaining, d.Rate)
	}
	return nil
}

// quiet drops go-redis's own log lines: errors come back to the caller.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
