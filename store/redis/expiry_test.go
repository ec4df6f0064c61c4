package redisstore_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestExpiryBound checks, for largest intervals of 50ms, 1s and 1min, that
// after each of 60 takes a log's key expires more than the largest interval
// after the take's stamp and at most max(10ms, 1% of it) later (GCRA's: at
// most that), read as the absolute PEXPIRETIME against the server's clock
// read before and after the take; that the log sets its expiry once per
// period of that margin, not once per take; and that the 50ms key is gone
// once its time has passed. It runs on a private redis-server (Redis 7 or
// later, for PEXPIRETIME and a commandstats of its own).
func TestExpiryBound(t *testing.T) {
	_, c := privateServer(t, redis.Options{})
	ctx := t.Context()
	for _, tc := range []struct {
		name    string
		rates   ratelimit.Rates
		largest int64 // ms
		margin  int64 // ms: max(10ms, 1% of largest)
	}{
		{"50ms", mustRates(t, per(100, 50*time.Millisecond)), 50, 10},
		{"1s", mustRates(t, per(100, 100*time.Millisecond), per(500, time.Second)), 1000, 10},
		{"1min", mustRates(t, per(100, 100*time.Millisecond), per(30000, time.Minute)), 60000, 600},
	} {
		for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA} {
			t.Run(tc.name+"/"+string(alg), func(t *testing.T) {
				prefix := fmt.Sprintf("expiry:%s:%s:", tc.name, alg)
				s, err := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithAlgorithm(alg))
				if err != nil {
					t.Fatal(err)
				}
				log := alg == ratelimit.SlidingWindowLog
				resetStats(t, c)
				first := serverTime(t, c)
				var lastAt int64
				for range 60 {
					before := serverTime(t, c)
					if d, err := s.Take(ctx, "now", tc.rates, 1); err != nil || !d.Allowed {
						t.Fatalf("Take = %v, %v", d, err)
					}
					after := serverTime(t, c)
					// The take's stamp is in [before, after]; a GCRA key
					// may expire a millisecond after it, a log's not before
					// it + largest.
					at, ok := expireTime(t, c, prefix, "now")
					switch {
					case !ok && log && serverTime(t, c) <= before+tc.largest:
						t.Fatal("key gone before the take's window ended")
					case ok && (at > after+tc.largest+tc.margin || (log && at <= before+tc.largest)):
						t.Fatalf("key expires %d to %dms after the take; want in (%d, %d]", at-after, at-before, tc.largest, tc.largest+tc.margin)
					}
					lastAt = at
				}
				if log {
					// One PEXPIREAT per period the stamps enter.
					span := serverTime(t, c) - first
					if n, want := commandCalls(t, c, "pexpireat"), span/tc.margin+2; n > want {
						t.Errorf("%d PEXPIREAT over 60 takes spanning %dms, want at most %d (one per %dms period)", n, span, want, tc.margin)
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
					t.Fatalf("key still there after its expiry")
				}
			})
		}
	}
}

// TestExpiryKeptOnRewrite checks that a log's key keeps its expiry when a
// take rewrites its only run without setting the expiry again: takes merged
// into the newest run (the same millisecond, from 32 goroutines at once).
// Each removes a member and adds one; removing the only member first would
// delete the key, which would come back without an expiry. A take under a
// new largest interval that admits nothing rewrites the run too, and sets
// the expiry anew.
func TestExpiryKeptOnRewrite(t *testing.T) {
	c := newClient(t)
	s, prefix := prefixedStore(t, c)
	// One period of the expiry margin (600ms) holds every take.
	minute := mustRates(t, per(1000, time.Minute))
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 10 {
				if _, err := s.Take(t.Context(), "merge", minute, 1); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if _, err := s.Take(t.Context(), "rates", mustRates(t, per(1000, time.Second)), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Take(t.Context(), "rates", mustRates(t, per(1000, time.Second), per(2000, time.Minute)), 0); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"merge", "rates"} {
		if _, ok := expireTime(t, c, prefix, key); !ok {
			t.Fatalf("%s: key gone", key)
		}
	}
}

// TestExpiryFollowsRates checks that a key's expiry follows the rates of its
// last take, admitted or not: a log's moves to its newest unit plus the new
// largest interval (and back), a GCRA key's to when its state, carried to
// the new rates, is idle.
func TestExpiryFollowsRates(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	second, minute := mustRates(t, per(5, time.Second)), mustRates(t, per(5, time.Second), per(50, time.Minute))
	prefix := uniquePrefix(t, c)
	s, err := redisstore.New(c, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	before := serverTime(t, c)
	if _, err := s.Take(ctx, "log", second, 1); err != nil {
		t.Fatal(err)
	}
	after := serverTime(t, c)
	for i, tc := range []struct {
		rates   ratelimit.Rates
		n       int64
		largest int64
	}{{minute, 0, 60000}, {second, 0, 1000}, {minute, 9, 60000}} {
		if _, err := s.Take(ctx, "log", tc.rates, tc.n); err != nil {
			t.Fatal(err)
		}
		margin := max(10, tc.largest/100)
		if at, ok := expireTime(t, c, prefix, "log"); !ok || at <= before+tc.largest || at > after+tc.largest+margin {
			t.Fatalf("take %d under %v: the log's key expires %dms after its unit (%v); want in (%d, %d]", i, tc.rates, at-after, ok, tc.largest, tc.largest+margin)
		}
	}

	g, gp := prefixedStore(t, c, redisstore.WithAlgorithm(ratelimit.GCRA))
	if _, err := g.Take(ctx, "gcra", mustRates(t, per(10, time.Second)), 5); err != nil {
		t.Fatal(err)
	}
	// 5 units owed at 10/s, then at 2/s: re-emitted over 2.5s.
	if _, err := g.Take(ctx, "gcra", mustRates(t, per(2, time.Second)), 0); err != nil {
		t.Fatal(err)
	}
	if ttl := pttl(t, c, gp, "gcra"); ttl < 2400*time.Millisecond || ttl > 2500*time.Millisecond {
		t.Fatalf("GCRA key's PTTL after the rates changed = %v, want 2.5s less the time since", ttl)
	}
}

// TestClockExpiry checks that under WithClock a take sets its key to expire
// a minute after it on the server's clock, when the state counts for less
// than that by the clock's reading.
func TestClockExpiry(t *testing.T) {
	c := newClient(t)
	for _, alg := range algorithms {
		clock := core.NewFakeClock(1_000_000)
		s, prefix := prefixedStore(t, c, redisstore.WithAlgorithm(alg), redisstore.WithClock(clock))
		if _, err := s.Take(t.Context(), "k", mustRates(t, per(5, time.Second)), 1); err != nil {
			t.Fatal(err)
		}
		if ttl := pttl(t, c, prefix, "k"); ttl <= 59*time.Second || ttl > time.Minute {
			t.Fatalf("%s: PTTL = %v, want a minute less the time since", alg, ttl)
		}
	}
}

// TestConstantExpiry checks that a GCRA key expires exactly when its state
// becomes idle and a counter's within its two windows, that a denial
// leaves the expiry alone, and that a short rate's key is gone once idle.
func TestConstantExpiry(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	rs := mustRates(t, per(10, time.Second), per(30, 10*time.Second))
	for _, alg := range []ratelimit.Algorithm{ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		s, prefix := prefixedStore(t, c, redisstore.WithAlgorithm(alg))
		start := time.Now()
		if d, err := s.Take(ctx, "idle", rs, 3); err != nil || !d.Allowed {
			t.Fatalf("%s: Take = %v, %v", alg, d, err)
		}
		ttl := pttl(t, c, prefix, "idle")
		elapsed := time.Since(start) + 2*time.Millisecond
		// GCRA: 3 units of 10s/30 are idle 1s after the take; the counter
		// is idle when the 10s window after the take's is over.
		if lo, hi := map[ratelimit.Algorithm][2]time.Duration{
			ratelimit.GCRA:                 {time.Second - elapsed, time.Second},
			ratelimit.SlidingWindowCounter: {10*time.Second - elapsed, 20 * time.Second},
		}[alg], ttl; hi < lo[0] || hi > lo[1] {
			t.Fatalf("%s: PTTL = %v, want in [%v, %v]", alg, ttl, lo[0], lo[1])
		}
		if d, err := s.Take(ctx, "idle", rs, 11); err != nil || d.Allowed {
			t.Fatalf("%s: Take 11 = %v, %v; want a denial", alg, d, err)
		}
		if ttl2 := pttl(t, c, prefix, "idle"); ttl2 > ttl {
			t.Fatalf("%s: PTTL after a denial = %v > %v", alg, ttl2, ttl)
		}

		// A short rate: the key is gone once idle.
		if d, err := s.Take(ctx, "brief", mustRates(t, per(4, 40*time.Millisecond)), 2); err != nil || !d.Allowed {
			t.Fatalf("%s: Take = %v, %v", alg, d, err)
		}
		time.Sleep(100 * time.Millisecond) // beyond 2 windows of 40ms
		if ttl := pttl(t, c, prefix, "brief"); ttl != -2 {
			t.Fatalf("%s: key of an idle state has PTTL %v, want none", alg, ttl)
		}
	}
}

// pttl returns the PTTL of key's one Redis key under prefix, or -2 if
// there is none.
func pttl(t *testing.T, c redis.UniversalClient, prefix, key string) time.Duration {
	t.Helper()
	keys := keysOf(t, c, prefix+"*}"+key)
	if len(keys) > 1 {
		t.Fatalf("keys of %s = %q, want one", key, keys)
	}
	if len(keys) == 0 {
		return -2
	}
	ttl, err := c.PTTL(t.Context(), keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	return ttl
}

// keysOf returns the keys that match pattern.
func keysOf(t *testing.T, c redis.UniversalClient, pattern string) []string {
	t.Helper()
	var out []string
	var cursor uint64
	for {
		keys, next, err := c.Scan(t.Context(), cursor, pattern, 1000).Result()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, keys...)
		if cursor = next; cursor == 0 {
			return out
		}
	}
}

// expireTime returns the absolute expiry (unix ms, PEXPIRETIME) of name's
// one key under prefix, or false if there is none.
func expireTime(t *testing.T, c redis.UniversalClient, prefix, name string) (int64, bool) {
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
func serverTime(t *testing.T, c redis.UniversalClient) int64 {
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
