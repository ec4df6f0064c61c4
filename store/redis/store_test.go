package redisstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	redisstore "github.com/gorate/ratelimit/store/redis"
)

// TestNames checks that names of any bytes each get a bucket of their own,
// and that items keep their names through Peek.
func TestNames(t *testing.T) {
	c := newClient(t)
	s := newStore(t, c, ratelimit.PerHour(2))
	names := []string{
		"", "a", "a ", "user's-key", `say "hi"`, "{", "}", "{}", "{a}", "a}{b", "{{a}}",
		"x', 1); DROP TABLE foo; --", "a\x00b", "\x00", "ключ/🔑", "\xff\xfe", "*", "ratelimit:",
		strings.Repeat("k", 4096), strings.Repeat("{é}", 1400),
	}
	ctx := t.Context()
	for _, name := range names {
		if d, err := s.Acquire(ctx, name, 2); err != nil || !d.Allowed || d.Remaining != 0 {
			t.Fatalf("Acquire(%.20q, 2) = %+v, %v; want allowed with nothing left", name, d, err)
		}
	}
	for _, name := range names {
		b, err := s.Bucket(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := b.Count(ctx); err != nil || n != 2 {
			t.Fatalf("Count(%.20q) = %d, %v; want 2 (names are isolated)", name, n, err)
		}
		it, ok, err := b.Peek(ctx, 1)
		if err != nil || !ok || it.Name != name {
			t.Fatalf("Peek(%.20q, 1) = %.30v, %v, %v", name, it, ok, err)
		}
		if d, err := s.Acquire(ctx, name, 1); err != nil || d.Allowed {
			t.Fatalf("3rd Acquire(%.20q) = %+v, %v; want denied", name, d, err)
		}
	}
}

// TestExpiry checks that a written key lives no longer than the largest
// interval and the margin, so idle names vanish.
func TestExpiry(t *testing.T) {
	c := newClient(t)
	prefix := uniquePrefix(t, c)
	s, err := redisstore.New(c, []ratelimit.Rate{ratelimit.PerSecond(5), ratelimit.Per(12, 3*time.Second)}, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if _, err := s.Acquire(ctx, "idle", 1); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys under %s = %v, %v; want one", prefix, keys, err)
	}
	if !strings.HasSuffix(keys[0], "}idle") || !strings.HasPrefix(keys[0], prefix+"{") {
		t.Fatalf("key %q, want %s{hash}idle", keys[0], prefix)
	}
	ttl, err := c.PTTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 0 || ttl > 3030*time.Millisecond {
		t.Fatalf("PTTL = %v, %v; want in (0, 3s + 30ms]", ttl, err)
	}
	// A denial writes nothing and leaves the expiry alone.
	if d, err := s.Acquire(ctx, "idle", 50); err != nil || d.Allowed {
		t.Fatalf("Acquire 50 = %+v, %v; want denied", d, err)
	}
	if ttl2, err := c.PTTL(ctx, keys[0]).Result(); err != nil || ttl2 > ttl {
		t.Fatalf("PTTL after a denial = %v, %v; want at most %v", ttl2, err, ttl)
	}

	// Puts stamped 9ms apart, ahead of the server's clock, most of which
	// skip PEXPIREAT (the margin is 30ms): the key always outlives the
	// newest unit by the largest interval, and by no more than the margin
	// besides.
	b, _ := s.Bucket(ctx, "chain")
	now, err := b.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now += 1000
	for i := range int64(5) { // 5/s: five fit
		ts := now + 9*i
		if d, err := b.Put(ctx, ratelimit.Item{Name: "chain", Time: ts, Weight: 1}); err != nil || !d.Allowed {
			t.Fatalf("Put at +%dms = %+v, %v", 9*i, d, err)
		}
		if at, ok := expireTime(t, c, prefix, "chain"); !ok || at <= ts+3000 || at > ts+3030 {
			t.Fatalf("after a put at +%dms: key expires at +%dms (found: %v); want in (+%d, +%d]", 9*i, at-now, ok, 9*i+3000, 9*i+3030)
		}
	}
}

// TestBadArguments covers what only this store rejects, and what it never
// sends to the server.
func TestBadArguments(t *testing.T) {
	c := newClient(t)
	if _, err := redisstore.New(nil, []ratelimit.Rate{ratelimit.PerSecond(1)}); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("New(nil) err = %v, want ErrInvalidArgument", err)
	}
	if _, err := redisstore.New(c, nil); !errors.Is(err, ratelimit.ErrInvalidRates) {
		t.Fatalf("New with no rates err = %v, want ErrInvalidRates", err)
	}
	if _, err := redisstore.New(c, []ratelimit.Rate{ratelimit.PerSecond(1 << 60)}); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("New with a 2^60 limit err = %v, want ErrInvalidArgument", err)
	}
	s := newStore(t, c, ratelimit.PerSecond(3))
	b, _ := s.Bucket(t.Context(), "a")
	if _, err := b.Put(t.Context(), ratelimit.Item{Name: "a", Time: 1 << 60, Weight: 1}); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("Put at 2^60 err = %v, want ErrInvalidArgument", err)
	}
	// A huge weight is a Never denial, not an error.
	d, err := b.Put(t.Context(), ratelimit.Item{Name: "a", Time: 1000, Weight: 1 << 62})
	if err != nil || d.Allowed || d.RetryAfter != ratelimit.Never {
		t.Fatalf("Put of weight 2^62 = %+v, %v; want a Never denial", d, err)
	}
	s.Close()
	for name, err := range map[string]error{
		"Bucket": func() error { _, err := s.Bucket(t.Context(), "a"); return err }(),
		"Count":  func() error { _, err := b.Count(t.Context()); return err }(),
		"Peek":   func() error { _, _, err := b.Peek(t.Context(), 0); return err }(),
		"Leak":   func() error { _, err := b.Leak(t.Context(), 0); return err }(),
		"Flush":  b.Flush(t.Context()),
		"Now":    func() error { _, err := b.Now(t.Context()); return err }(),
		"Wait":   func() error { _, err := b.Waiting(t.Context(), ratelimit.Item{Weight: 1}); return err }(),
	} {
		if !errors.Is(err, ratelimit.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", name, err)
		}
	}
}

// TestLimiter checks the one-call constructor end to end.
func TestLimiter(t *testing.T) {
	c := newClient(t)
	// NewLimiter uses the default prefix: the test uses a fresh name.
	l, err := redisstore.NewLimiter(c, []ratelimit.Rate{ratelimit.PerHour(2)})
	if err != nil {
		t.Fatal(err)
	}
	name := "redisstore-test-" + time.Now().Format(time.RFC3339Nano)
	t.Cleanup(func() {
		b, err := redisstore.New(c, []ratelimit.Rate{ratelimit.PerHour(2)})
		if err == nil {
			bk, _ := b.Bucket(t.Context(), name)
			bk.Flush(t.Context())
		}
	})
	for i, want := range []bool{true, true, false} {
		if d, err := l.Allow(t.Context(), name); err != nil || d.Allowed != want {
			t.Fatalf("Allow #%d = %+v, %v; want allowed %v", i, d, err, want)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("client closed by the limiter: %v", err)
	}
}
