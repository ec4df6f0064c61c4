package redisstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestExpiryBound checks, for largest intervals of 50ms, 1s and 1min, that
// after each put of a sequence a log's key expires more than the largest
// interval after the put's stamp and at most max(10ms, 1% of it) later
// (GCRA's: at most that), read as the absolute PEXPIRETIME against the
// decision's server time; that the log sets its expiry once per period of
// that margin, not once per put; and that the 50ms key is gone once its
// time has passed. It runs on a private redis-server (Redis 7 or later, for
// PEXPIRETIME and a commandstats of its own).
func TestExpiryBound(t *testing.T) {
	_, c := privateServer(t, redis.Options{})
	ctx := t.Context()
	cases := []struct {
		name    string
		rates   []ratelimit.Rate
		largest int64 // ms
		margin  int64 // ms: max(10ms, 1% of largest)
	}{
		{"50ms", []ratelimit.Rate{ratelimit.Per(100, 50*time.Millisecond)}, 50, 10},
		{"1s", []ratelimit.Rate{ratelimit.Per(100, 100*time.Millisecond), ratelimit.Per(500, time.Second)}, 1000, 10},
		{"1min", []ratelimit.Rate{ratelimit.Per(100, 100*time.Millisecond), ratelimit.Per(30000, time.Minute)}, 60000, 600},
	}
	for _, tc := range cases {
		for _, alg := range []ratelimit.Algorithm{ratelimit.AlgorithmSlidingWindowLog, ratelimit.AlgorithmGCRA} {
			t.Run(tc.name+"/"+string(alg), func(t *testing.T) {
				prefix := fmt.Sprintf("expiry:%s:%s:", tc.name, alg)
				s, err := redisstore.New(c, tc.rates, redisstore.WithPrefix(prefix), redisstore.WithAlgorithm(alg))
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				log := alg == ratelimit.AlgorithmSlidingWindowLog
				// check holds the key of name to the bound after a put
				// stamped ts (the server's clock for PutNow) and returns
				// its expiry, or 0 if it is gone: a GCRA key may expire a
				// millisecond after the put, a log's not before ts +
				// largest.
				check := func(name string, ts int64) int64 {
					t.Helper()
					at, ok := expireTime(t, c, prefix, name)
					switch {
					case !ok && log && serverTime(t, c) <= ts+tc.largest:
						t.Fatalf("%s: key gone before the put's window ended", name)
					case ok && (at > ts+tc.largest+tc.margin || (log && at <= ts+tc.largest)):
						t.Fatalf("%s: key expires %dms after the put; want in (%d, %d]", name, at-ts, tc.largest, tc.largest+tc.margin)
					}
					return at
				}

				// PutNow, back to back: most puts share a period.
				var last, lastAt int64
				for range 40 {
					d, err := s.Acquire(ctx, "now", 1)
					if err != nil || !d.Allowed {
						t.Fatalf("Acquire = %+v, %v", d, err)
					}
					last, lastAt = d.Time, check("now", d.Time)
				}

				// Explicit stamps ahead of the server's clock, 3ms apart:
				// every offset in a period, each period crossed.
				b, err := s.Bucket(ctx, "explicit")
				if err != nil {
					t.Fatal(err)
				}
				now, err := b.Now(ctx)
				if err != nil {
					t.Fatal(err)
				}
				resetStats(t, c)
				const puts = 200
				for i := range int64(puts) {
					ts := now + 5000 + 3*i
					if d, err := b.Put(ctx, ratelimit.Item{Name: "explicit", Time: ts, Weight: 1}); err != nil || !d.Allowed {
						t.Fatalf("Put at +%dms = %+v, %v", 3*i, d, err)
					}
					check("explicit", ts)
				}
				if log {
					// One PEXPIREAT per period the stamps enter, plus the
					// first write.
					want := 3*puts/tc.margin + 2
					if n := commandCalls(t, c, "pexpireat"); n > want {
						t.Errorf("%d PEXPIREAT over %d puts spanning %dms, want at most %d (one per %dms period)", n, puts, 3*puts, want, tc.margin)
					}
				}

				if tc.largest > 50 {
					return
				}
				// The key is gone once its time has passed.
				for serverTime(t, c) <= lastAt {
					time.Sleep(time.Millisecond)
				}
				if keys := keysOf(t, c, prefix+"*}now"); len(keys) != 0 && c.Exists(ctx, keys...).Val() != 0 {
					t.Fatalf("key of now still there %dms after the last put", serverTime(t, c)-last)
				}
			})
		}
	}
}

// TestExpiryKeptOnRewrite checks that a log's key keeps its expiry when a
// put rewrites its only run: a put merged into the newest run (same item
// name, same millisecond) and a put older than the newest run, which moves
// it up. Each removes a member and adds one; removing the only member first
// deleted the key, which came back without an expiry and never vanished.
func TestExpiryKeptOnRewrite(t *testing.T) {
	c := newClient(t)
	prefix := uniquePrefix(t, c)
	s, err := redisstore.New(c, []ratelimit.Rate{ratelimit.PerSecond(10)}, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	for _, tc := range []struct {
		name   string
		offset []int64 // ms after the server's clock, one put each
	}{
		{"merge", []int64{0, 0}},
		{"reorder", []int64{10, 0}},
	} {
		b, err := s.Bucket(ctx, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		now, err := b.Now(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range tc.offset {
			if d, err := b.Put(ctx, ratelimit.Item{Name: tc.name, Time: now + off, Weight: 1}); err != nil || !d.Allowed {
				t.Fatalf("%s: Put at +%dms = %+v, %v", tc.name, off, d, err)
			}
		}
		if _, ok := expireTime(t, c, prefix, tc.name); !ok {
			t.Fatalf("%s: key gone", tc.name)
		}
	}
}

// expireTime returns the absolute expiry (unix ms, PEXPIRETIME) of name's
// one key under prefix, or false if there is none.
func expireTime(t *testing.T, c *redis.Client, prefix, name string) (int64, bool) {
	t.Helper()
	keys := keysOf(t, c, prefix+"*}"+name)
	if len(keys) > 1 {
		t.Fatalf("keys of %s = %v, want one", name, keys)
	}
	if len(keys) == 0 {
		return 0, false
	}
	at, err := c.Do(t.Context(), "PEXPIRETIME", keys[0]).Int64()
	if at == -2 {
		return 0, false // expired since the scan
	}
	if err != nil || at < 0 {
		t.Fatalf("PEXPIRETIME %s = %d, %v; want an expiry", keys[0], at, err)
	}
	return at, true
}

// serverTime returns the server's clock in ms.
func serverTime(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	tm, err := c.Time(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return tm.UnixMilli()
}

// resetStats zeroes a private server's commandstats.
func resetStats(t *testing.T, c *redis.Client) {
	t.Helper()
	if err := c.ConfigResetStat(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
}

// commandCalls returns the calls of cmd in INFO commandstats since the
// last reset, those made by scripts included.
func commandCalls(t *testing.T, c *redis.Client, cmd string) int64 {
	t.Helper()
	info, err := c.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_"+cmd+":calls="); ok {
			var n int64
			fmt.Sscanf(rest, "%d", &n)
			return n
		}
	}
	return 0
}
