package redisstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestKeys checks the key scheme: the three algorithms keep one key's state
// under three Redis keys of one hash slot, prefix{h}key (a sorted set),
// prefixg{h}key and prefixc{h}key (strings of 16 + 16 and 16 + 24 bytes
// for one rate), and its block state beside them, prefixb{h}key,
// prefixgb{h}key and prefixcb{h}key (strings of 40 bytes), that cannot
// collide whatever the key, and a reset of one algorithm's leaves the
// others alone.
func TestKeys(t *testing.T) {
	c := newClient(t)
	prefix := uniquePrefix(t, c)
	ctx := t.Context()
	rs := mustRates(t, ratelimit.PerHour(2))
	stores := map[ratelimit.Algorithm]*redisstore.Store{}
	for _, alg := range algorithms {
		s, err := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithAlgorithm(alg))
		if err != nil {
			t.Fatal(err)
		}
		stores[alg] = s
	}
	keys := []string{"n", "g{n}", "}n", "c", "", "{"}
	for _, key := range keys {
		for _, alg := range algorithms {
			if d, err := stores[alg].Take(ctx, key, rs, 2); err != nil || !d.Allowed {
				t.Fatalf("%s: first Take(%q) = %v, %v; want allowed (another algorithm's state leaked in)", alg, key, d, err)
			}
		}
		for _, alg := range algorithms {
			if d, err := stores[alg].Take(ctx, key, rs, 1); err != nil || d.Allowed {
				t.Fatalf("%s: second Take(%q) = %v, %v; want denied", alg, key, d, err)
			}
		}
		for _, alg := range algorithms {
			if d, err := stores[alg].TakeBlocking(ctx, key, rs, 1, ratelimit.Block{For: time.Hour}); err != nil || !d.Blocked {
				t.Fatalf("%s: TakeBlocking(%q) = %v, %v; want blocked (another algorithm's block leaked in)", alg, key, d, err)
			}
		}
	}
	found := keysOf(t, c, prefix+"*")
	if len(found) != 6*len(keys) {
		t.Fatalf("%d keys, want %d: %q", len(found), 6*len(keys), found)
	}
	tags := map[string]int{}
	for _, k := range found {
		rest := strings.TrimPrefix(k, prefix)
		typ, _ := c.Type(ctx, k).Result()
		switch {
		case strings.HasPrefix(rest, "{") && typ == "zset":
		case strings.HasPrefix(rest, "g{") && typ == "string" && c.StrLen(ctx, k).Val() == 32:
		case strings.HasPrefix(rest, "c{") && typ == "string" && c.StrLen(ctx, k).Val() == 40:
		case (strings.HasPrefix(rest, "b{") || strings.HasPrefix(rest, "gb{") || strings.HasPrefix(rest, "cb{")) &&
			typ == "string" && c.StrLen(ctx, k).Val() == 40:
		default:
			t.Fatalf("key %q of type %s: want prefix{…}key (zset), prefixg{…}key or prefixc{…}key (strings of 32 or 40 bytes), or prefix[g|c]b{…}key (40 bytes)", k, typ)
		}
		i := strings.IndexByte(k, '{')
		tags[k[i:i+18]]++
	}
	for tag, n := range tags {
		if n != 6 {
			t.Fatalf("hash tag %s holds %d keys, want the 6 of one key", tag, n)
		}
	}
	if err := stores[ratelimit.GCRA].Reset(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	if d, _ := stores[ratelimit.GCRA].Take(ctx, "n", rs, 2); !d.Allowed {
		t.Fatal("GCRA after Reset: denied")
	}
	if d, _ := stores[ratelimit.SlidingWindowLog].Take(ctx, "n", rs, 1); d.Allowed {
		t.Fatal("log after GCRA's Reset: allowed")
	}
	if d, _ := stores[ratelimit.SlidingWindowLog].TakeBlocking(ctx, "n", rs, 0, ratelimit.Block{For: time.Hour}); !d.Blocked {
		t.Fatal("log after GCRA's Reset: not blocked")
	}
}

// TestLogRuns checks that the log keeps one 32-byte member per millisecond
// that admitted units, whatever the takes and weights in it.
func TestLogRuns(t *testing.T) {
	c := newClient(t)
	clock := core.NewFakeClock(time.Now().UnixMilli())
	s, prefix := prefixedStore(t, c, redisstore.WithClock(clock))
	rs := mustRates(t, per(100, time.Second))
	for ms := range int64(3) {
		clock.Set(clock.Now() + ms)
		for _, n := range []int64{1, 5, 2} {
			if d, err := s.Take(t.Context(), "k", rs, n); err != nil || !d.Allowed {
				t.Fatalf("Take(%d) = %v, %v", n, d, err)
			}
		}
	}
	members, err := c.ZRange(t.Context(), keysOf(t, c, prefix+"*")[0], 0, -1).Result()
	if err != nil || len(members) != 3 {
		t.Fatalf("members = %d, %v; want 3", len(members), err)
	}
	for _, m := range members {
		if len(m) != 32 {
			t.Fatalf("member of %d bytes, want 32", len(m))
		}
	}
}

// TestCheckWritesNothing checks that Check creates no key and leaves a
// key's state and expiry alone, under each algorithm, even under new rates.
func TestCheckWritesNothing(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	second, other := mustRates(t, per(5, time.Second)), mustRates(t, per(3, time.Second), per(9, time.Minute))
	for _, alg := range algorithms {
		s, prefix := prefixedStore(t, c, redisstore.WithAlgorithm(alg))
		if _, err := s.Check(ctx, "k", second, 1); err != nil {
			t.Fatal(err)
		}
		if keys := keysOf(t, c, prefix+"*"); len(keys) != 0 {
			t.Fatalf("%s: keys %q after a Check of a new key", alg, keys)
		}
		if _, err := s.Take(ctx, "k", second, 2); err != nil {
			t.Fatal(err)
		}
		key := keysOf(t, c, prefix+"*")[0]
		dump := c.Dump(ctx, key).Val()
		at := c.PExpireTime(ctx, key).Val()
		for _, rs := range []ratelimit.Rates{second, other} {
			if _, err := s.Check(ctx, "k", rs, 1); err != nil {
				t.Fatal(err)
			}
		}
		if c.Dump(ctx, key).Val() != dump || c.PExpireTime(ctx, key).Val() != at {
			t.Fatalf("%s: Check changed the key or its expiry", alg)
		}
	}
}

// TestBadArguments covers what the store rejects, before it sends anything.
func TestBadArguments(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	for name, err := range map[string]error{
		"nil client": func() error { _, err := redisstore.New(nil); return err }(),
		"nil option": func() error { _, err := redisstore.New(c, nil); return err }(),
		"algorithm":  func() error { _, err := redisstore.New(c, redisstore.WithAlgorithm("leaky")); return err }(),
		"batch size": func() error { _, err := redisstore.New(c, redisstore.WithMaxBatch(0)); return err }(),
	} {
		if !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("New with a bad %s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
	// Each fits 2^53, their product does not: fine for the log only.
	wide := ratelimit.Rates{per(1<<40, 1<<14*time.Millisecond)}
	for _, alg := range algorithms {
		s := newStore(t, c, redisstore.WithAlgorithm(alg))
		for _, tc := range []struct {
			name  string
			rates ratelimit.Rates
			ok    bool
		}{
			{"no rates", nil, false},
			{"a limit of 2^60", ratelimit.Rates{per(1<<60, time.Second)}, false},
			{"a limit of 0", ratelimit.Rates{per(0, time.Second)}, false},
			{"an interval of 1.5ms", ratelimit.Rates{per(3, 1500*time.Microsecond)}, false},
			{"intervals descending", ratelimit.Rates{per(9, time.Minute), per(3, time.Second)}, false},
			{"limit × interval beyond 2^53", wide, alg == ratelimit.SlidingWindowLog},
		} {
			_, err := s.Take(ctx, "k", tc.rates, 1)
			if tc.ok && err != nil || !tc.ok && !errors.Is(err, ratelimit.ErrInvalidRate) {
				t.Errorf("%s: Take with %s: err = %v, want ErrInvalidRate: %v", alg, tc.name, err, !tc.ok)
			}
		}
		rs := mustRates(t, per(3, time.Second))
		if _, err := s.Take(ctx, "k", rs, -1); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("%s: Take(-1): err = %v, want ErrInvalidArgument", alg, err)
		}
		// A huge weight is a Never denial, not an error.
		if d, err := s.Take(ctx, "k", rs, 1<<62); err != nil || d.Allowed || d.RetryAfter != ratelimit.Never {
			t.Errorf("%s: Take(2^62) = %v, %v; want a Never denial", alg, d, err)
		}
		far := newStore(t, c, redisstore.WithAlgorithm(alg), redisstore.WithClock(core.NewFakeClock(1<<60)))
		if _, err := far.Take(ctx, "k", rs, 1); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("%s: Take at 2^60 ms: err = %v, want ErrInvalidArgument", alg, err)
		}
		if err := far.Block(ctx, "k", time.Second); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("%s: Block at 2^60 ms: err = %v, want ErrInvalidArgument", alg, err)
		}
		s.Close()
		for name, err := range map[string]error{
			"Take":  func() error { _, err := s.Take(ctx, "k", rs, 1); return err }(),
			"Check": func() error { _, err := s.Check(ctx, "k", rs, 1); return err }(),
			"Reset": s.Reset(ctx, "k"),
			"Block": s.Block(ctx, "k", time.Second),
		} {
			if !errors.Is(err, ratelimit.ErrClosed) {
				t.Errorf("%s: %s after Close: err = %v, want ErrClosed", alg, name, err)
			}
		}
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("client closed by the store: %v", err)
	}

	// A Block's bad length is refused before any round trip: a Store on a
	// closed client, which fails every command, sees it.
	closed := redis.NewClient(&redis.Options{Addr: c.Options().Addr})
	closed.Close()
	s, err := redisstore.New(closed)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{0, time.Microsecond, ratelimit.MaxInterval + time.Millisecond} {
		if err := s.Block(ctx, "k", d); !errors.Is(err, ratelimit.ErrInvalidArgument) || errors.Is(err, redisstore.ErrServer) {
			t.Errorf("Block for %v on a closed client: err = %v, want ErrInvalidArgument alone", d, err)
		}
	}
	if err := s.Block(ctx, "k", time.Second); !errors.Is(err, redisstore.ErrServer) {
		t.Errorf("Block on a closed client: err = %v, want ErrServer", err)
	}
}

// TestKeyTooLong checks that a key the server cannot take (longer than its
// proto-max-bulk-len, here 1 MiB) is an error wrapping ErrServer.
func TestKeyTooLong(t *testing.T) {
	_, c := privateServer(t, redis.Options{MaxRetries: -1}, "--proto-max-bulk-len", "1mb")
	s := newStore(t, c)
	if _, err := s.Take(t.Context(), strings.Repeat("k", 1<<20), mustRates(t, per(3, time.Second)), 1); !errors.Is(err, redisstore.ErrServer) {
		t.Fatalf("Take of a 1 MiB key: err = %v, want ErrServer", err)
	}
}
