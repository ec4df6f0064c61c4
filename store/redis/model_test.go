package redisstore_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// modelLog is the plainest log there is: one slot per unit, sorted by time
// (a take out of order lands after the units of its own millisecond), with
// the running total of units ever stored, by which the store drops old runs.
type modelLog struct {
	ts    []int64
	total int64
}

func (m *modelLog) CountSince(_ int, since int64) int64 {
	n := int64(0)
	for _, ts := range m.ts {
		if ts >= since {
			n++
		}
	}
	return n
}

func (m *modelLog) NthNewest(k int64) (int64, bool) {
	if k < 0 || k >= int64(len(m.ts)) {
		return 0, false
	}
	return m.ts[int64(len(m.ts))-1-k], true
}

// insert stores n units at ts, and drops the units older than largest
// before ts when the total passes a multiple of 256, as log.lua does.
func (m *modelLog) insert(ts, n, largest int64) {
	i := len(m.ts)
	for i > 0 && m.ts[i-1] > ts {
		i--
	}
	m.ts = slices.Insert(m.ts, i, slices.Repeat([]int64{ts}, int(n))...)
	if (m.total+n)/256 > m.total/256 {
		m.ts = slices.DeleteFunc(m.ts, func(u int64) bool { return u < ts-largest })
	}
	m.total += n
}

// refund removes n units stamped at, fewer if fewer are, as log.lua does:
// the total drops by as many, and restarts from 0 once the log is empty.
func (m *modelLog) refund(at, n int64) {
	i, found := slices.BinarySearch(m.ts, at)
	j := i
	for found && j < len(m.ts) && m.ts[j] == at && int64(j-i) < n {
		j++
	}
	m.ts = slices.Delete(m.ts, i, j)
	if m.total -= int64(j - i); len(m.ts) == 0 {
		m.total = 0
	}
}

// model is what TestModel holds a store's script to: the log's decisions
// are core.DecideLog's over a modelLog, GCRA's and the counter's a
// core.State's.
type model struct {
	alg   ratelimit.Algorithm
	log   *modelLog
	state *core.State
}

func newModel(alg ratelimit.Algorithm) *model {
	return &model{alg: alg, log: &modelLog{}, state: &core.State{Algorithm: alg}}
}

// decide returns the decision on a take (or with take false, a check) of n
// units under rs at now, and keeps what a take admits.
func (m *model) decide(t *testing.T, rs ratelimit.Rates, now, n int64, take bool) ratelimit.Decision {
	t.Helper()
	var d ratelimit.Decision
	if m.alg == ratelimit.SlidingWindowLog {
		core.DecideLog(&d, rs, now, n, m.log)
		if take && d.Allowed && n > 0 {
			m.log.insert(now, n, rs.Largest().IntervalMillis())
		}
	} else if err := m.state.Decide(&d, rs, now, n, take); err != nil {
		t.Fatal(err)
	}
	return d
}

// randomRates returns a valid rate list of one to four rates over a few
// odd intervals, so that lists often share intervals with other limits,
// emission intervals have fractions and windows do not align.
func randomRates(rng *rand.Rand) ratelimit.Rates {
	var rs ratelimit.Rates
	for _, iv := range []int64{700, 1300, 2900, 6100} {
		if rng.IntN(3) == 0 {
			continue
		}
		if len(rs) == 0 {
			rs = append(rs, per(1+rng.Int64N(9), time.Duration(iv)*time.Millisecond))
			continue
		}
		// Limits rise, densities do not: prev < limit <= prev × iv / its interval.
		prev := rs[len(rs)-1]
		if most := prev.Limit * iv / prev.IntervalMillis(); most > prev.Limit {
			rs = append(rs, per(prev.Limit+1+rng.Int64N(most-prev.Limit), time.Duration(iv)*time.Millisecond))
		}
	}
	if len(rs) == 0 {
		return randomRates(rng)
	}
	return rs
}

// step moves now on: mostly within the smallest window, sometimes across
// the largest, sometimes to the last millisecond of a window of the first
// rate or its start; with back, now and then back by up to 300ms.
func step(rng *rand.Rand, rs ratelimit.Rates, now int64, back bool) int64 {
	switch r := rng.IntN(12); {
	case r < 7:
		return now + rng.Int64N(rs[0].IntervalMillis()/3+1)
	case r < 9:
		return now + 1 + rng.Int64N(rs.Largest().IntervalMillis())
	case r < 11 || !back:
		iv := rs[0].IntervalMillis()
		return now + iv - now%iv - rng.Int64N(2)
	}
	return now - rng.Int64N(301)
}

// TestModel holds every algorithm's script to package core, decision by
// decision, over random weights at random times (the log's also out of
// order) under rate lists that change at random: the log to core.DecideLog
// over a one-slot-per-unit log, GCRA and the counter to a core.State, which
// carries state across the changes. Checks come between the takes, and
// must neither differ from the core's nor change what follows; refunds of
// earlier takes (each at most once, under the rates of the moment, so
// after takes out of order and changed rates too) and charges come after
// some takes, each held to the model's standing after it.
//
// REDISSTORE_MODEL_SEEDS="first count" runs count seeds from first (the
// default: the seeds 11 to 14).
func TestModel(t *testing.T) {
	c := newClient(t)
	first, seeds := uint64(11), uint64(4)
	if s := os.Getenv("REDISSTORE_MODEL_SEEDS"); s != "" {
		if _, err := fmt.Sscan(s, &first, &seeds); err != nil {
			t.Fatalf("REDISSTORE_MODEL_SEEDS=%q: %v; want \"first count\"", s, err)
		}
	}
	for seed := first; seed < first+seeds; seed++ {
		for _, alg := range algorithms {
			t.Run(fmt.Sprint(alg, "/seed=", seed), func(t *testing.T) { testModel(t, c, alg, seed) })
		}
	}
}

// testModel is TestModel's run of alg on one seed.
func testModel(t *testing.T, c redis.UniversalClient, alg ratelimit.Algorithm, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, uint64(len(alg))))
	start := time.Now().UnixMilli()
	clock := core.NewFakeClock(start)
	s := newStore(t, c, redisstore.WithAlgorithm(alg), redisstore.WithClock(clock))
	lists := []ratelimit.Rates{randomRates(rng), randomRates(rng), randomRates(rng), randomRates(rng)}
	m := newModel(alg)
	log, state := m.log, m.state
	decide := func(rs ratelimit.Rates, now, n int64, take bool) ratelimit.Decision {
		return m.decide(t, rs, now, n, take)
	}
	// settle refunds n units of the take at at (refund) or charges
	// n units in the model, and returns the standing after it.
	settle := func(rs ratelimit.Rates, now, at, n int64, refund bool) ratelimit.Decision {
		var d ratelimit.Decision
		if alg == ratelimit.SlidingWindowLog {
			switch {
			case refund && at <= now:
				log.refund(at, n)
			case !refund && n > 0:
				log.insert(now, n, rs.Largest().IntervalMillis())
			}
			core.DecideLog(&d, rs, now, 0, log)
			return d
		}
		var err error
		if refund {
			err = state.Refund(&d, rs, now, at, n)
		} else {
			err = state.Charge(&d, rs, now, n)
		}
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	type taken struct{ at, n int64 }
	var open []taken // admitted takes not refunded yet
	rs, now := lists[0], start
	for i := range 3000 {
		if rng.IntN(3) == 0 {
			rs = lists[rng.IntN(len(lists))]
		}
		now = step(rng, rs, now, alg == ratelimit.SlidingWindowLog)
		clock.Set(now)
		n := rng.Int64N(rs[0].Limit + 2)
		if rng.IntN(4) == 0 {
			want := decide(rs, now, n, false)
			if got, err := s.Check(t.Context(), "k", rs, n); err != nil || got != want {
				t.Fatalf("step %d: Check(%v, n=%d) at +%d = %v, %v;\nwant %v", i, rs, n, now-start, got, err, want)
			}
		}
		want := decide(rs, now, n, true)
		got, err := s.Take(t.Context(), "k", rs, n)
		if err != nil || got != want {
			t.Fatalf("step %d: Take(%v, n=%d) at +%d = %v, %v;\nwant %v", i, rs, n, now-start, got, err, want)
		}
		if got.Allowed && n > 0 {
			open = append(open, taken{got.At, n})
		}
		switch k := rng.IntN(8); {
		case k < 2 && len(open) > 0:
			j := rng.IntN(len(open))
			tk := open[j]
			open = slices.Delete(open, j, j+1)
			n := min(1+rng.Int64N(tk.n), rs[0].Limit)
			want := settle(rs, now, tk.at, n, true)
			if got, err := s.Refund(t.Context(), "k", rs, ratelimit.Decision{At: tk.at}, n); err != nil || got != want {
				t.Fatalf("step %d: Refund(%v, n=%d of a take at +%d) at +%d = %v, %v;\nwant %v", i, rs, n, tk.at-start, now-start, got, err, want)
			}
		case k == 2:
			n := rng.Int64N(rs[0].Limit + 1)
			want := settle(rs, now, 0, n, false)
			if got, err := s.Charge(t.Context(), "k", rs, n); err != nil || got != want {
				t.Fatalf("step %d: Charge(%v, n=%d) at +%d = %v, %v;\nwant %v", i, rs, n, now-start, got, err, want)
			}
		}
	}
}

// TestLogOutOfOrderJoinsRun holds the log to one member per millisecond: a
// take stamped before the key's newest run, at the millisecond of an older
// run, joins that run, and a refund of a take of that millisecond then
// gives back as many units as it asks (up to what the millisecond holds).
// Two members of one millisecond made a refund take units from the first
// alone and leave the later member's running totals where they were.
func TestLogOutOfOrderJoinsRun(t *testing.T) {
	c := newClient(t)
	clock := core.NewFakeClock(1_000_000)
	s, prefix := prefixedStore(t, c, redisstore.WithClock(clock))
	rs := mustRates(t, per(10, time.Minute))
	take := func(at, n int64) {
		t.Helper()
		clock.Set(at)
		if d, err := s.Take(t.Context(), "k", rs, n); err != nil || !d.Allowed {
			t.Fatalf("Take(%d) at %d = %v, %v; want admitted", n, at, d, err)
		}
	}
	take(1_000_000, 1)
	take(1_000_005, 1)
	take(1_000_000, 2) // out of order, into the run at 1_000_000
	keys := keysOf(t, c, prefix+"{*}k")
	if len(keys) != 1 {
		t.Fatalf("keys = %v, want the log's", keys)
	}
	if n, err := c.ZCard(t.Context(), keys[0]).Result(); err != nil || n != 2 {
		t.Errorf("the log holds %d members (%v), want 2: one per millisecond", n, err)
	}
	d, err := s.Refund(t.Context(), "k", rs, ratelimit.Decision{At: 1_000_000}, 3)
	if err != nil || d.Remaining != 9 {
		t.Fatalf("Refund of 3 units at 1_000_000 = %v, %v; want 9 left (the unit at 1_000_005)", d, err)
	}
	take(1_000_005, 9)
	clock.Set(1_000_005)
	if d, err := s.Take(t.Context(), "k", rs, 1); err != nil || d.Allowed || d.Remaining != 0 {
		t.Fatalf("Take(1) over the limit = %v, %v; want denied, 0 left", d, err)
	}
}
