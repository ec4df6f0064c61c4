package redisstore_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestMain skips the examples, which need the server at 127.0.0.1:6379,
// when it is unreachable, as the tests skip (or fail when servers are
// required).
func TestMain(m *testing.M) {
	flag.Parse()
	if !requireServers() {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		c.Close()
		if err != nil {
			skip := "^Example"
			if s := flag.Lookup("test.skip").Value.String(); s != "" {
				skip += "|" + s
			}
			flag.Set("test.skip", skip)
			fmt.Fprintf(os.Stderr, "redis at 127.0.0.1:6379 is unreachable (%v): examples skipped\n", err)
		}
	}
	os.Exit(m.Run())
}
