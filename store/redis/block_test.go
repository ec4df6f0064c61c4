package redisstore_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// TestBlockRestart holds the case across a restart: at 5/min with a
// 10 min block, the 6th take is blocked with RetryAfter exactly 10 min, and
// Block blocks another key for 5 min; a new Store, through a new client,
// over the same server and prefix finds the key still blocked a minute
// later, 9 min to go, and the other 4 min to go under the zero Block; its
// Reset deletes the state and the block, and the next take is admitted.
func TestBlockRestart(t *testing.T) {
	rs := mustRates(t, per(5, time.Minute))
	b := ratelimit.Block{For: 10 * time.Minute}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(1_000_000)
			first, prefix := prefixedStore(t, newClient(t), redisstore.WithAlgorithm(alg), redisstore.WithClock(clock))
			for i := range 6 {
				d, err := first.TakeBlocking(t.Context(), "k", rs, 1, b)
				if err != nil || d.Allowed != (i < 5) || d.Blocked != (i == 5) || (i == 5 && d.RetryAfter != 10*time.Minute) {
					t.Fatalf("take %d = %v (blocked %v), %v; want the 6th blocked for 10m", i+1, d, d.Blocked, err)
				}
			}
			if err := first.Block(t.Context(), "held", 5*time.Minute); err != nil {
				t.Fatal(err)
			}
			first.Close()

			c := newClient(t)
			second, err := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithAlgorithm(alg), redisstore.WithClock(clock))
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
			if d, err := second.TakeBlocking(t.Context(), "k", rs, 1, b); err != nil || !d.Blocked || d.RetryAfter != 9*time.Minute {
				t.Fatalf("after the restart: %v (blocked %v), %v; want blocked for 9m more", d, d.Blocked, err)
			}
			if d, err := second.TakeBlocking(t.Context(), "held", rs, 1, ratelimit.Block{}); err != nil || !d.Blocked || d.RetryAfter != 4*time.Minute {
				t.Fatalf("the key held by Block after the restart: %v (blocked %v), %v; want blocked for 4m more", d, d.Blocked, err)
			}
			if err := second.Reset(t.Context(), "k"); err != nil {
				t.Fatal(err)
			}
			if n := c.Exists(t.Context(), redisstore.BlockKey(second, "k")).Val(); n != 0 {
				t.Fatal("the block's key outlived Reset")
			}
			if d, err := second.TakeBlocking(t.Context(), "k", rs, 1, b); err != nil || !d.Allowed || d.Blocked {
				t.Fatalf("after Reset: %v, %v; want allowed", d, err)
			}
		})
	}
}

// TestBlockExpiry checks that, under the server's clock, a block's key
// expires exactly at the state's Idle: a minute after the first of After
// denials (the count's window), twice the block's length after a block
// begins (its end, then as long again, within which the next would
// escalate), unmoved by takes while blocked; that Take and a take not
// denied write no block key; that a block set by Block expires as
// holdExpiry says; and that under a given time the key lives a minute on
// the server's clock, a hold's too.
func TestBlockExpiry(t *testing.T) {
	c := newClient(t)
	rs := mustRates(t, per(1, time.Hour))
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s := newStore(t, c, redisstore.WithAlgorithm(alg))
			b := ratelimit.Block{For: 10 * time.Minute, After: 2, Within: time.Minute}
			expiry := func() int64 { return blockExpiry(t, c, s, "k") }
			if d, err := s.TakeBlocking(t.Context(), "k", rs, 1, b); err != nil || !d.Allowed {
				t.Fatalf("first take = %v, %v", d, err)
			}
			if d, err := s.Take(t.Context(), "k", rs, 1); err != nil || d.Allowed {
				t.Fatalf("Take = %v, %v; want denied", d, err)
			}
			if at := expiry(); at != -2 {
				t.Fatalf("block key expiry %d without a counted denial; want no key", at)
			}
			d, err := s.TakeBlocking(t.Context(), "k", rs, 1, b)
			if err != nil || d.Allowed || d.Blocked {
				t.Fatalf("first denial = %v, %v", d, err)
			}
			if at, want := expiry(), d.At+time.Minute.Milliseconds(); at != want {
				t.Fatalf("after one denial the block key expires at %d, want %d (At + Within)", at, want)
			}
			if d, err = s.TakeBlocking(t.Context(), "k", rs, 1, b); err != nil || !d.Blocked {
				t.Fatalf("second denial = %v, %v; want blocked", d, err)
			}
			at := expiry()
			if want := d.At + 2*b.For.Milliseconds(); at != want {
				t.Fatalf("once blocked the block key expires at %d, want %d (At + 2 × For)", at, want)
			}
			if d, err = s.TakeBlocking(t.Context(), "k", rs, 1, b); err != nil || !d.Blocked {
				t.Fatalf("take while blocked = %v, %v; want blocked", d, err)
			}
			if again := expiry(); again != at {
				t.Fatalf("a take while blocked moved the expiry from %d to %d; want it written only by a counted denial", at, again)
			}
			holdExpiry(t, c, s, rs)
		})
	}
	// Under a given time, a minute at least on the server's clock.
	s := newStore(t, c, redisstore.WithClock(core.NewFakeClock(0)))
	b := ratelimit.Block{For: time.Millisecond}
	for range 2 {
		if _, err := s.TakeBlocking(t.Context(), "k", rs, 1, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Block(t.Context(), "held", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"k", "held"} {
		if ttl := c.PTTL(t.Context(), redisstore.BlockKey(s, key)).Val(); ttl <= 59*time.Second || ttl > time.Minute {
			t.Fatalf("under a given time the key of a 1ms block of %q lives %v; want a minute", key, ttl)
		}
	}
}

// holdExpiry checks, under the server's clock, that the key of a block set
// by Block on s expires exactly at the block's end, its length after the
// server's clock read around the call; that a shorter block leaves the key
// as it was; that a block of a key whose escalation outlasts it leaves the
// expiry at the state's Idle; and that one outlasting it moves the expiry
// to its own end.
func holdExpiry(t *testing.T, c redis.UniversalClient, s *redisstore.Store, rs ratelimit.Rates) {
	t.Helper()
	// hold blocks key for d, and returns the state and its key's expiry
	// after it, failing t unless the block ends d after the server's clock
	// read around the call, or as it did before if that is later.
	hold := func(key string, d time.Duration) (core.BlockState, int64) {
		t.Helper()
		prior, before := blockState(t, c, s, key), serverTime(t, c)
		if err := s.Block(t.Context(), key, d); err != nil {
			t.Fatalf("Block(%q, %v): %v", key, d, err)
		}
		after := serverTime(t, c)
		st := blockState(t, c, s, key)
		if ms := d.Milliseconds(); st.Until < before+ms || st.Until > after+ms && st.Until != prior.Until {
			t.Fatalf("Block(%q, %v) in [%d, %d] left state %+v (before: %+v); want it blocked %v on, or as long as before", key, d, before, after, st, prior, d)
		}
		return st, blockExpiry(t, c, s, key)
	}
	st, at := hold("held", 10*time.Minute)
	if at != st.Until || at != st.Idle {
		t.Fatalf("after a 10m hold the block key expires at %d with state %+v; want at its Until and Idle", at, st)
	}
	if got, again := hold("held", time.Minute); got != st || again != at {
		t.Fatalf("a shorter hold left state %+v expiring at %d; want %+v at %d", got, again, st, at)
	}

	b := ratelimit.Block{For: 10 * time.Minute}
	for range 2 {
		if _, err := s.TakeBlocking(t.Context(), "e", rs, 1, b); err != nil {
			t.Fatal(err)
		}
	}
	idle := blockState(t, c, s, "e").Idle // 20m after the block began
	if st, at := hold("e", 15*time.Minute); st.Idle != idle || at != idle {
		t.Fatalf("a 15m hold within the escalation: state %+v expiring at %d; want both at the Idle before, %d", st, at, idle)
	}
	if st, at := hold("e", 30*time.Minute); at != st.Until || at != st.Idle {
		t.Fatalf("a 30m hold past the escalation: state %+v expiring at %d; want at its Until and Idle", st, at)
	}
}

// blockExpiry returns the PEXPIRETIME of key's block key in s: -2 when
// there is none.
func blockExpiry(t *testing.T, c redis.UniversalClient, s *redisstore.Store, key string) int64 {
	t.Helper()
	at, err := c.Do(t.Context(), "PEXPIRETIME", redisstore.BlockKey(s, key)).Int64()
	if err != nil {
		t.Fatalf("PEXPIRETIME: %v", err)
	}
	return at
}

// blockState reads key's block state in s, as block.lua packs it, or the
// zero state if there is none.
func blockState(t *testing.T, c redis.UniversalClient, s *redisstore.Store, key string) core.BlockState {
	t.Helper()
	raw, err := c.Get(t.Context(), redisstore.BlockKey(s, key)).Bytes()
	if err == redis.Nil {
		return core.BlockState{}
	}
	if err != nil || len(raw) != 40 {
		t.Fatalf("block state %q, %v; want 40 bytes", raw, err)
	}
	var f [5]int64
	for i := range f {
		f[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return core.BlockState{Until: f[0], Level: f[1], Denials: f[2], Since: f[3], Idle: f[4]}
}
