package redisstore_test

import (
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestSettleExpiry checks, on the server's clock, that a refund of all a
// key holds deletes it under every algorithm; that a log's refund of its
// newest run moves the key's expiry back to the run before it (the run's
// stamp plus the largest interval plus at most the margin, 10ms here); and
// that a charge of a key with no history leaves one that expires.
func TestSettleExpiry(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	rs := mustRates(t, per(100, time.Second))
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s, prefix := prefixedStore(t, c, redisstore.WithAlgorithm(alg))
			d, err := s.Take(ctx, "all", rs, 3)
			if err != nil || !d.Allowed {
				t.Fatalf("Take = %v, %v", d, err)
			}
			if _, err := s.Refund(ctx, "all", rs, d, 3); err != nil {
				t.Fatal(err)
			}
			if _, ok := expireTime(t, c, prefix, "all"); ok {
				t.Fatal("key still there after a refund of all its units")
			}

			if _, err := s.Charge(ctx, "charged", rs, 3); err != nil {
				t.Fatal(err)
			}
			if _, ok := expireTime(t, c, prefix, "charged"); !ok {
				t.Fatal("no key after a charge")
			}

			if alg != ratelimit.SlidingWindowLog {
				return
			}
			older, err := s.Take(ctx, "newest", rs, 1)
			if err != nil {
				t.Fatal(err)
			}
			for serverTime(t, c) <= older.At+10 { // the next period of the margin
				time.Sleep(time.Millisecond)
			}
			newer, err := s.Take(ctx, "newest", rs, 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Refund(ctx, "newest", rs, newer, 1); err != nil {
				t.Fatal(err)
			}
			if at, ok := expireTime(t, c, prefix, "newest"); !ok || at <= older.At+1000 || at > older.At+1010 {
				t.Fatalf("after the newest run's refund the key expires at +%dms (%v) from the older run; want in (1000, 1010]", at-older.At, ok)
			}
		})
	}
}

// TestSettleNoScript flushes a private server's scripts after a take: a
// refund, a charge, a take under a block and a Block (each with arguments
// of its own), sent by EVALSHA, load the script again by EVAL and decide
// (the Block's key then blocked, with nothing left).
func TestSettleNoScript(t *testing.T) {
	_, c := privateServer(t, redis.Options{})
	ctx := t.Context()
	rs := mustRates(t, ratelimit.PerHour(10))
	for _, alg := range algorithms {
		s := newStore(t, c, redisstore.WithAlgorithm(alg))
		d, err := s.Take(ctx, "k", rs, 4)
		if err != nil || d.Remaining != 6 {
			t.Fatalf("%s: Take = %v, %v", alg, d, err)
		}
		for _, settle := range []struct {
			name string
			fn   func() (ratelimit.Decision, error)
			left int64
		}{
			{"Refund", func() (ratelimit.Decision, error) { return s.Refund(ctx, "k", rs, d, 4) }, 10},
			{"Charge", func() (ratelimit.Decision, error) { return s.Charge(ctx, "k", rs, 3) }, 7},
			{"TakeBlocking", func() (ratelimit.Decision, error) {
				return s.TakeBlocking(ctx, "k", rs, 1, ratelimit.Block{For: time.Minute})
			}, 6},
			{"Block", func() (ratelimit.Decision, error) {
				if err := s.Block(ctx, "k", time.Minute); err != nil {
					return ratelimit.Decision{}, err
				}
				return s.TakeBlocking(ctx, "k", rs, 1, ratelimit.Block{})
			}, 0},
		} {
			if err := c.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if got, err := settle.fn(); err != nil || got.Remaining != settle.left {
				t.Fatalf("%s: %s after SCRIPT FLUSH = %v, %v; want %d left", alg, settle.name, got, err, settle.left)
			}
		}
	}
}
