package redisstore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/redis/go-redis/v9"
)

// TestMemoryFigures measures the server memory a name costs under each
// algorithm: 100,000 names (IPv4-like, 8 to 11 bytes) each put 10 times a
// second apart under a rate of 1000/hour, pipelined, with INFO memory's
// used_memory read before and after; the keys are deleted at the end. It
// runs only with RATELIMIT_MEMORY_FIGURES=1 (and REDIS_URL), since it
// writes some 70 MB to the server. RATELIMIT_FIGURES_NAMES,
// RATELIMIT_FIGURES_PUTS and RATELIMIT_FIGURES_WEIGHT change the numbers of
// names and puts and the weight of a put (1): GCRA lets an idle name's key
// expire, 3.6 s after each unit here, so a run long enough for a million
// names wants puts of weight 1000. The figures include the server's key
// and expiry tables, and depend on the key's length (prefix and name):
//
//	RATELIMIT_MEMORY_FIGURES=1 go test -run TestMemoryFigures -v .
//	RATELIMIT_MEMORY_FIGURES=1 RATELIMIT_FIGURES_NAMES=1000000 RATELIMIT_FIGURES_PUTS=1 RATELIMIT_FIGURES_WEIGHT=1000 go test -run TestMemoryFigures -v .
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
	names, puts := figureParam(t, "RATELIMIT_FIGURES_NAMES", 100_000), figureParam(t, "RATELIMIT_FIGURES_PUTS", 10)
	weight := figureParam(t, "RATELIMIT_FIGURES_WEIGHT", 1)
	for _, alg := range []ratelimit.Algorithm{ratelimit.AlgorithmSlidingWindowLog, ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter} {
		// As long as DefaultPrefix, give or take a byte: the key is most of
		// a constant-state name's cost.
		prefix := fmt.Sprintf("rlm%06x:", time.Now().UnixNano()&0xffffff)
		s, err := New(c, []ratelimit.Rate{ratelimit.PerHour(1000)}, WithPrefix(prefix), WithAlgorithm(alg))
		if err != nil {
			t.Fatal(err)
		}
		// The first put loads the script and reads the server's clock.
		var d ratelimit.Decision
		if err := s.put(ctx, &d, "warm-up", modeNow, ratelimit.Item{Name: "warm-up", Weight: 1}); err != nil {
			t.Fatal(err)
		}
		c.Del(ctx, s.key("warm-up"))
		before := usedMemory(t, c)
		start := d.Time - int64(puts-1)*1000
		for j := range int64(puts) {
			pipe := c.Pipeline()
			for i := range names {
				name := fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)
				args := []any{modePut, start + j*1000, weight}
				if s.alg == algLog {
					args = append(args, name)
				}
				args = append(args, s.tail...)
				pipe.EvalSha(ctx, s.sha.(string), []string{s.key(name)}, args...)
				if pipe.Len() == 2000 {
					if _, err := pipe.Exec(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			if pipe.Len() > 0 {
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		after := usedMemory(t, c)
		n := countKeys(ctx, t, c, prefix)
		per := float64(after-before) / float64(n)
		sample := s.key("10.0.0.1")
		usage, _ := c.MemoryUsage(ctx, sample).Result()
		t.Logf("%-22s %d keys: used_memory %+d bytes, %.1f bytes/key (MEMORY USAGE of %q: %d); 1M keys ≈ %.0f MB",
			alg, n, after-before, per, sample, usage, per)
		if s.alg == algLog {
			// A log at its limit: 1000 units a second apart under one name.
			pipe := c.Pipeline()
			for j := range int64(1000) {
				pipe.EvalSha(ctx, s.sha.(string), []string{s.key("full")}, append([]any{modePut, d.Time - 1_000_000 + 1000*j, 1, "full"}, s.tail...)...)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			usage, _ := c.MemoryUsage(ctx, s.key("full"), 0).Result()
			t.Logf("%-22s one name holding 1000 units: MEMORY USAGE %d bytes", alg, usage)
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
	pipe := c.Pipeline()
	for iter.Next(ctx) {
		pipe.Unlink(ctx, iter.Val())
		if pipe.Len() == 2000 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if pipe.Len() > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
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
