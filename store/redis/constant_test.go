package redisstore_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	redisstore "github.com/gorate/ratelimit/store/redis"
)

// constantAlgorithms are the algorithms that keep a few numbers per name.
var constantAlgorithms = []ratelimit.Algorithm{ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter}

// newAlgStore returns a Store of alg on c under prefix, closed at the
// test's end.
func newAlgStore(t *testing.T, c scanDeleter, prefix string, alg ratelimit.Algorithm, rates ...ratelimit.Rate) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(c, rates, redisstore.WithPrefix(prefix), redisstore.WithAlgorithm(alg))
	if err != nil {
		t.Fatalf("New(%v, %s): %v", rates, alg, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// constModel is the core's decision over state of its own.
type constModel struct {
	alg   ratelimit.Algorithm
	rates ratelimit.Rates
	gcra  []ratelimit.GCRAState
	ctr   []ratelimit.CounterState
}

func (m *constModel) decide(now, weight int64, store bool) (d ratelimit.Decision) {
	g := append([]ratelimit.GCRAState(nil), m.gcra...)
	c := append([]ratelimit.CounterState(nil), m.ctr...)
	if m.alg == ratelimit.AlgorithmGCRA {
		ratelimit.GCRA{}.DecideInto(&d, m.rates, now, weight, g)
	} else {
		ratelimit.SlidingWindowCounter{}.DecideInto(&d, m.rates, now, weight, c)
	}
	if store {
		m.gcra, m.ctr = g, c
	}
	return d
}

// TestConstantModelRandom holds the scripts to the core over random rate
// lists (odd limits and intervals, so that emission intervals have
// fractions and windows do not align), random weights and random steps
// that cross, skip and land on window edges, with Waiting between puts.
func TestConstantModelRandom(t *testing.T) {
	c := newClient(t)
	prefix := uniquePrefix(t, c)
	for _, alg := range constantAlgorithms {
		rng := rand.New(rand.NewPCG(11, uint64(len(alg))))
		for round := range 12 {
			var rates []ratelimit.Rate
			limit, interval := 1+rng.Int64N(7), 1000+rng.Int64N(3000)
			for range 1 + rng.IntN(3) {
				rates = append(rates, ratelimit.Per(limit, time.Duration(interval)*time.Millisecond))
				next := limit + 1 + rng.Int64N(3*limit)
				// density may not rise: interval grows at least as the limit
				interval = (interval*next+limit-1)/limit + rng.Int64N(5000) + 1
				limit = next
			}
			rs, err := ratelimit.NewRates(rates...)
			if err != nil {
				t.Fatal(err)
			}
			s := newAlgStore(t, c, prefix, alg, rs...)
			name := string(alg) + "/" + string(rune('a'+round))
			b, err := s.Bucket(t.Context(), name)
			if err != nil {
				t.Fatal(err)
			}
			m := &constModel{alg: alg, rates: rs, gcra: make([]ratelimit.GCRAState, len(rs)), ctr: make([]ratelimit.CounterState, len(rs))}
			now, err := b.Now(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			now += 5000 // item time runs ahead of the server's: no key expires early
			for step := range 300 {
				switch r := rng.IntN(10); {
				case r < 6:
					now += 1 + rng.Int64N(rs[0].IntervalMillis()/3)
				case r < 8:
					now += 1 + rng.Int64N(rs.Largest().IntervalMillis())
				default:
					// to the last millisecond of a window of the first rate, or its start
					iv := rs[0].IntervalMillis()
					now += iv - now%iv - rng.Int64N(2)
				}
				w := rng.Int64N(rs[0].Limit + 2)
				want := m.decide(now, w, false).RetryAfter
				got, err := b.Waiting(t.Context(), ratelimit.Item{Name: name, Time: now, Weight: w})
				if err != nil || got != want {
					t.Fatalf("%s %v step %d: Waiting(w=%d) = %v, %v; want %v", alg, rs, step, w, got, err, want)
				}
				wantD := m.decide(now, w, true)
				gotD, err := b.Put(t.Context(), ratelimit.Item{Name: name, Time: now, Weight: w})
				if err != nil || gotD != wantD {
					t.Fatalf("%s %v step %d: Put(w=%d) = %+v, %v;\nwant %+v", alg, rs, step, w, gotD, err, wantD)
				}
			}
		}
	}
}

// TestConstantCount checks Count against the core's at the server's clock:
// a state far in the future counts the same whatever the exact time.
func TestConstantCount(t *testing.T) {
	c := newClient(t)
	prefix := uniquePrefix(t, c)
	for _, alg := range constantAlgorithms {
		s := newAlgStore(t, c, prefix, alg, ratelimit.PerMinute(10), ratelimit.PerHour(100))
		b, _ := s.Bucket(t.Context(), "count")
		if n, err := b.Count(t.Context()); err != nil || n != 0 {
			t.Fatalf("%s: Count of nothing = %d, %v", alg, n, err)
		}
		for range 4 {
			if d, err := b.PutNow(t.Context(), "count", 2); err != nil || !d.Allowed {
				t.Fatalf("%s: PutNow = %+v, %v", alg, d, err)
			}
		}
		n, err := b.Count(t.Context())
		// GCRA: 8 units of the hour's emission interval (36s) are still
		// there, less at most a few ms of emission, rounded up; the counter:
		// the 8 units of its current window (unless the hour turned).
		if err != nil || n != 8 {
			t.Fatalf("%s: Count = %d, %v; want 8", alg, n, err)
		}
	}
}

// TestConstantExpiry checks that a constant-state key expires exactly when
// its state becomes idle, and then is gone.
func TestConstantExpiry(t *testing.T) {
	c := newClient(t)
	prefix := uniquePrefix(t, c)
	ctx := t.Context()
	for _, alg := range constantAlgorithms {
		rates := []ratelimit.Rate{ratelimit.PerSecond(10), ratelimit.Per(30, 10*time.Second)}
		s := newAlgStore(t, c, prefix, alg, rates...)
		rs := s.Rates()
		m := &constModel{alg: alg, rates: rs, gcra: make([]ratelimit.GCRAState, 2), ctr: make([]ratelimit.CounterState, 2)}
		d, err := s.Acquire(ctx, "idle", 3)
		if err != nil || !d.Allowed {
			t.Fatalf("%s: Acquire = %+v, %v", alg, d, err)
		}
		m.decide(d.Time, 3, true)
		var idle int64
		for i, r := range rs {
			if alg == ratelimit.AlgorithmGCRA {
				idle = max(idle, m.gcra[i].TAT+min(m.gcra[i].Rem, 1))
			} else {
				idle = max(idle, m.ctr[i].Start+2*r.IntervalMillis())
			}
		}
		mark := map[ratelimit.Algorithm]string{ratelimit.AlgorithmGCRA: "g", ratelimit.AlgorithmSlidingWindowCounter: "c"}[alg]
		keys, err := c.Keys(ctx, prefix+mark+"{*}idle").Result()
		if err != nil || len(keys) != 1 {
			t.Fatalf("%s: keys = %v, %v", alg, keys, err)
		}
		ttl, err := c.PTTL(ctx, keys[0]).Result()
		b, _ := s.Bucket(ctx, "idle")
		after, err2 := b.Now(ctx) // PTTL counts down from the put
		if want, elapsed := idle-d.Time, after-d.Time; err != nil || err2 != nil || ttl.Milliseconds() > want || ttl.Milliseconds() < want-elapsed-2 {
			t.Fatalf("%s: PTTL = %v, %v, %dms after the put; want %dms (the state's idle time) less the time since, within 2ms", alg, ttl, err, elapsed, want)
		}
		// A denial writes nothing.
		if d, err := s.Acquire(ctx, "idle", 11); err != nil || d.Allowed {
			t.Fatalf("%s: Acquire 11 = %+v, %v", alg, d, err)
		}
		if ttl2, _ := c.PTTL(ctx, keys[0]).Result(); ttl2 > ttl {
			t.Fatalf("%s: PTTL after a denial = %v > %v", alg, ttl2, ttl)
		}

		// A short rate: the key is gone once idle.
		short := newAlgStore(t, c, prefix+"short:", alg, ratelimit.Per(4, 40*time.Millisecond))
		if d, err := short.Acquire(ctx, "brief", 2); err != nil || !d.Allowed {
			t.Fatalf("%s: Acquire = %+v, %v", alg, d, err)
		}
		if n, _ := c.Exists(ctx, keysOf(t, c, prefix+"short:*")...).Result(); n != 1 {
			t.Fatalf("%s: %d keys after a put, want 1", alg, n)
		}
		time.Sleep(100 * time.Millisecond) // beyond 2 windows of 40ms
		if keys := keysOf(t, c, prefix+"short:*"); len(keys) != 0 {
			t.Fatalf("%s: keys %q remain after the state became idle", alg, keys)
		}
	}
}

func keysOf(t *testing.T, c interface {
	scanDeleter
}, pattern string) []string {
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

// TestAlgorithmKeys checks that the three algorithms keep one name's state
// under three keys of one hash slot that cannot collide, whatever the name.
func TestAlgorithmKeys(t *testing.T) {
	c := newClient(t)
	prefix := uniquePrefix(t, c)
	ctx := t.Context()
	rate := ratelimit.PerHour(2)
	stores := map[ratelimit.Algorithm]*redisstore.Store{}
	for _, alg := range algorithms {
		stores[alg] = newAlgStore(t, c, prefix, alg, rate)
	}
	for _, name := range []string{"n", "g{n}", "}n", "c", "", "{"} {
		for _, alg := range algorithms {
			if d, err := stores[alg].Acquire(ctx, name, 2); err != nil || !d.Allowed {
				t.Fatalf("%s: first Acquire(%q) = %+v, %v; want allowed (another algorithm's state leaked in)", alg, name, d, err)
			}
		}
		for _, alg := range algorithms {
			if d, err := stores[alg].Acquire(ctx, name, 1); err != nil || d.Allowed {
				t.Fatalf("%s: second Acquire(%q) = %+v, %v; want denied", alg, name, d, err)
			}
		}
	}
	keys := keysOf(t, c, prefix+"*")
	if len(keys) != 3*6 {
		t.Fatalf("%d keys, want 18: %q", len(keys), keys)
	}
	var tags = map[string]int{}
	for _, k := range keys {
		rest := strings.TrimPrefix(k, prefix)
		typ, _ := c.Type(ctx, k).Result()
		switch {
		case strings.HasPrefix(rest, "{") && typ == "zset":
		case strings.HasPrefix(rest, "g{") && typ == "string":
		case strings.HasPrefix(rest, "c{") && typ == "string":
		default:
			t.Fatalf("key %q of type %s: want prefix{…}name (zset), prefixg{…}name or prefixc{…}name (strings)", k, typ)
		}
		i := strings.IndexByte(k, '{')
		tags[k[i:i+18]]++
	}
	for tag, n := range tags {
		if n != 3 {
			t.Fatalf("hash tag %s holds %d keys, want the 3 of one name", tag, n)
		}
	}
	// Flush of one algorithm's bucket leaves the others alone.
	b, _ := stores[ratelimit.AlgorithmGCRA].Bucket(ctx, "n")
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if d, _ := stores[ratelimit.AlgorithmGCRA].Acquire(ctx, "n", 2); !d.Allowed {
		t.Fatal("GCRA after Flush: denied")
	}
	if d, _ := stores[ratelimit.AlgorithmSlidingWindowLog].Acquire(ctx, "n", 1); d.Allowed {
		t.Fatal("log after GCRA's Flush: allowed")
	}
}

// TestAlgorithmBadInput covers what New rejects for an algorithm.
func TestAlgorithmBadInput(t *testing.T) {
	c := newClient(t)
	if _, err := redisstore.New(c, []ratelimit.Rate{ratelimit.PerSecond(1)}, redisstore.WithAlgorithm("leaky")); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("unknown algorithm: err = %v, want ErrInvalidArgument", err)
	}
	// Each fits 2^53, their product does not: fine for the log only.
	wide := []ratelimit.Rate{ratelimit.Per(1<<40, 1<<14*time.Millisecond)}
	if _, err := redisstore.New(c, wide); err != nil {
		t.Fatalf("log with limit × interval > 2^53: %v", err)
	}
	for _, alg := range constantAlgorithms {
		if _, err := redisstore.New(c, wide, redisstore.WithAlgorithm(alg)); !errors.Is(err, ratelimit.ErrInvalidRates) {
			t.Fatalf("%s with limit × interval > 2^53: err = %v, want ErrInvalidRates", alg, err)
		}
		if _, err := redisstore.New(c, []ratelimit.Rate{ratelimit.PerSecond(1 << 60)}, redisstore.WithAlgorithm(alg)); err == nil {
			t.Fatalf("%s with a 2^60 limit: no error", alg)
		}
		cs := newAlgStore(t, c, uniquePrefix(t, c), alg, ratelimit.PerSecond(3))
		b, _ := cs.Bucket(t.Context(), "a")
		if _, _, err := b.Peek(t.Context(), 0); !errors.Is(err, ratelimit.ErrNoHistory) {
			t.Fatalf("%s: Peek err = %v, want ErrNoHistory", alg, err)
		}
		if _, err := b.Put(t.Context(), ratelimit.Item{Name: "a", Time: 1 << 60, Weight: 1}); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Fatalf("%s: Put at 2^60 err = %v, want ErrInvalidArgument", alg, err)
		}
		if _, err := b.Put(t.Context(), ratelimit.Item{Name: "a", Weight: -1}); !errors.Is(err, ratelimit.ErrInvalidWeight) {
			t.Fatalf("%s: weight -1 err = %v, want ErrInvalidWeight", alg, err)
		}
		if d, err := b.PutNow(t.Context(), "a", 1<<62); err != nil || d.Allowed || d.RetryAfter != ratelimit.Never {
			t.Fatalf("%s: PutNow 2^62 = %+v, %v; want denied, Never", alg, d, err)
		}
	}
}
