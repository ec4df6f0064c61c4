package redisstore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/redis/go-redis/v9"
)

// TestMemoryFigures measures the server memory a key costs under each
// algorithm: 100,000 keys (IPv4-like, 8 to 11 bytes) each taken 10 times,
// in pipelined rounds, under a rate of 1000/hour, with INFO memory's
// used_memory read before and after; the keys are deleted at the end. It
// runs only with RATELIMIT_MEMORY_FIGURES=1 (and REDIS_URL), since it
// writes some 70 MB to the server. RATELIMIT_FIGURES_KEYS,
// RATELIMIT_FIGURES_TAKES and RATELIMIT_FIGURES_WEIGHT change the numbers of
// keys and takes and the weight of a take (1). The figures include the
// server's key and expiry tables, and depend on the Redis key's length
// (prefix and key):
//
//	RATELIMIT_MEMORY_FIGURES=1 go test -run TestMemoryFigures -v .
//	RATELIMIT_MEMORY_FIGURES=1 RATELIMIT_FIGURES_KEYS=1000000 RATELIMIT_FIGURES_TAKES=1 RATELIMIT_FIGURES_WEIGHT=1000 go test -run TestMemoryFigures -v .
func TestMemoryFigures(t *testing.T) {
	if os.Getenv("RATELIMIT_MEMORY_FIGURES") != "1" {
		t.Skip("set RATELIMIT_MEMORY_FIGURES=1 to measure bytes per key")
	}
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx := t.Context()
	keys, takes := figureParam(t, "RATELIMIT_FIGURES_KEYS", 100_000), figureParam(t, "RATELIMIT_FIGURES_TAKES", 10)
	weight := int64(figureParam(t, "RATELIMIT_FIGURES_WEIGHT", 1))
	rates := ratelimit.Rates{ratelimit.PerHour(1000)}
	// run sends a take of weight under each key, pipelined.
	run := func(s *Store, keys []string) {
		pipelined(ctx, t, c, func(queue func(redis.Cmder)) {
			for _, key := range keys {
				call, err := s.newCall("take", key, rates, weight, 0)
				if err != nil {
					t.Fatal(err)
				}
				queue(redis.NewStringCmd(ctx, call.argv()...))
			}
		})
	}
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)
	}
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		// As long as the default prefix, give or take a byte: the Redis key
		// is most of a constant-state key's cost.
		prefix := fmt.Sprintf("rlm%06x:", time.Now().UnixNano()&0xffffff)
		s, err := New(c, WithPrefix(prefix), WithAlgorithm(alg))
		if err != nil {
			t.Fatal(err)
		}
		// The first take loads the script.
		if _, err := s.Take(ctx, "warm-up", rates, 1); err != nil {
			t.Fatal(err)
		}
		c.Del(ctx, s.key("warm-up"))
		before := usedMemory(t, c)
		for range takes {
			run(s, names) // each round over 100,000 keys takes far more than a millisecond
		}
		after := usedMemory(t, c)
		n := countKeys(ctx, t, c, prefix)
		per := float64(after-before) / float64(n)
		sample := s.key("10.0.0.1")
		usage, _ := c.MemoryUsage(ctx, sample).Result()
		t.Logf("%-22s %d keys: used_memory %+d bytes, %.1f bytes/key (MEMORY USAGE of %q: %d); 1M keys ≈ %.0f MB",
			alg, n, after-before, per, sample, usage, per)
		if alg == ratelimit.SlidingWindowLog {
			// A log at its limit: 1000 units a second apart under one key,
			// each its own run.
			clock := core.NewFakeClock(time.Now().UnixMilli() - 1_000_000)
			full, err := New(c, WithPrefix(prefix), WithClock(clock))
			if err != nil {
				t.Fatal(err)
			}
			for range 1000 {
				clock.Advance(time.Second)
				if _, err := full.Take(ctx, "full", rates, 1); err != nil {
					t.Fatal(err)
				}
			}
			usage, _ := c.MemoryUsage(ctx, s.key("full"), 0).Result()
			t.Logf("%-22s one key holding 1000 units: MEMORY USAGE %d bytes", alg, usage)
		}
		deleteAll(ctx, t, c, prefix)
		// Let the server's cron shrink its key tables, so that the next
		// algorithm pays for growing them as this one did.
		time.Sleep(2 * time.Second)
	}
}

func usedMemory(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(t.Context(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no used_memory in INFO memory")
	return 0
}

func countKeys(ctx context.Context, t *testing.T, c *redis.Client, prefix string) int {
	n := 0
	iter := c.Scan(ctx, 0, prefix+"*", 5000).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

func deleteAll(ctx context.Context, t *testing.T, c *redis.Client, prefix string) {
	iter := c.Scan(ctx, 0, prefix+"*", 5000).Iterator()
	pipelined(ctx, t, c, func(queue func(redis.Cmder)) {
		for iter.Next(ctx) {
			queue(redis.NewIntCmd(ctx, "unlink", iter.Val()))
		}
	})
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
}

// pipelined sends the commands add queues, 2000 to a pipeline.
func pipelined(ctx context.Context, t *testing.T, c *redis.Client, add func(queue func(redis.Cmder))) {
	pipe := c.Pipeline()
	exec := func() {
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	add(func(cmd redis.Cmder) {
		pipe.Process(ctx, cmd)
		if pipe.Len() == 2000 {
			exec()
		}
	})
	if pipe.Len() > 0 {
		exec()
	}
}

// figureParam returns the positive integer in the environment variable
// name, or def when it is unset.
func figureParam(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}
