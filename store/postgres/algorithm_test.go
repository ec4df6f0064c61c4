package pgstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// algorithms are the algorithms the store offers.
var algorithms = []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter}

// modelLog is the log the store keeps for a key, in Go: one row per
// admitted take, by ascending time (ties in insertion order).
type modelLog struct{ ts, n []int64 }

func (l *modelLog) CountSince(_ int, since int64) (c int64) {
	for i, ts := range l.ts {
		if ts >= since {
			c += l.n[i]
		}
	}
	return c
}

func (l *modelLog) NthNewest(k int64) (int64, bool) {
	for i := len(l.ts) - 1; i >= 0; i-- {
		if k < l.n[i] {
			return l.ts[i], true
		}
		k -= l.n[i]
	}
	return 0, false
}

// model decides as the store must: core.DecideLog over a modelLog that a
// take cuts to the largest interval of its rates, or a core.State; and
// keeps the key's block as a core.BlockState.
type model struct {
	alg   ratelimit.Algorithm
	log   modelLog
	state core.State
	block core.BlockState
}

func newModel(alg ratelimit.Algorithm) *model {
	return &model{alg: alg, state: core.State{Algorithm: alg}}
}

func (m *model) decide(t *testing.T, rates ratelimit.Rates, now, n int64, take bool) (d ratelimit.Decision) {
	t.Helper()
	if m.alg != ratelimit.SlidingWindowLog {
		if err := m.state.Decide(&d, rates, now, n, take); err != nil {
			t.Fatal(err)
		}
		return d
	}
	core.DecideLog(&d, rates, now, n, &m.log)
	if !take {
		return d
	}
	bound := now - rates.Largest().IntervalMillis()
	var keep modelLog
	for i, ts := range m.log.ts {
		if ts >= bound {
			keep.ts, keep.n = append(keep.ts, ts), append(keep.n, m.log.n[i])
		}
	}
	m.log = keep
	if d.Allowed && n > 0 {
		m.log.insert(now, n)
	}
	return d
}

// takeBlocking takes n units at now under b, as the store must: a check
// while the key's block state blocks it, a take otherwise, judged by
// core.BlockState.
func (m *model) takeBlocking(t *testing.T, rates ratelimit.Rates, b ratelimit.Block, now, n int64) ratelimit.Decision {
	t.Helper()
	d := m.decide(t, rates, now, n, !m.block.Blocks(now))
	m.block.Judge(&d, b, now, n)
	return d
}

// blockRow returns key's row of table's block table as a core.BlockState:
// the zero value when it has none.
func blockRow(t *testing.T, pool *pgxpool.Pool, table, key string) (b core.BlockState) {
	t.Helper()
	q := fmt.Sprintf(`SELECT until_at, level, denials, since, idle_at FROM %q WHERE key = $1`, table+"_block")
	err := pool.QueryRow(t.Context(), q, []byte(key)).Scan(&b.Until, &b.Level, &b.Denials, &b.Since, &b.Idle)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
	return b
}

// insert adds a row of n units at now, after the rows stamped at or before
// now.
func (l *modelLog) insert(now, n int64) {
	i, _ := slices.BinarySearchFunc(l.ts, now+1, func(a, b int64) int { return int(min(max(a-b, -1), 1)) })
	l.ts, l.n = slices.Insert(l.ts, i, now), slices.Insert(l.n, i, n)
}

// refund gives back n units of a take at at, at now, and returns the key's
// standing after it, as the store must: under the log, it cuts the log as a
// take of 0 units does, then removes n of the units of the rows stamped at
// at, newest row first, unless at is after now.
func (m *model) refund(t *testing.T, rates ratelimit.Rates, now, at, n int64) ratelimit.Decision {
	t.Helper()
	if m.alg != ratelimit.SlidingWindowLog {
		var d ratelimit.Decision
		if err := m.state.Refund(&d, rates, now, at, n); err != nil {
			t.Fatal(err)
		}
		return d
	}
	m.decide(t, rates, now, 0, true)
	for i := len(m.log.ts) - 1; i >= 0 && n > 0 && at <= now; i-- {
		if m.log.ts[i] != at {
			continue
		}
		cut := min(n, m.log.n[i])
		m.log.n[i] -= cut
		n -= cut
		if m.log.n[i] == 0 {
			m.log.ts, m.log.n = slices.Delete(m.log.ts, i, i+1), slices.Delete(m.log.n, i, i+1)
		}
	}
	return m.decide(t, rates, now, 0, false)
}

// charge takes n units at now whatever rates allow, and returns the key's
// standing after them, as the store must: under the log, a take that cuts
// the log and stores the units.
func (m *model) charge(t *testing.T, rates ratelimit.Rates, now, n int64) ratelimit.Decision {
	t.Helper()
	if m.alg != ratelimit.SlidingWindowLog {
		var d ratelimit.Decision
		if err := m.state.Charge(&d, rates, now, n); err != nil {
			t.Fatal(err)
		}
		return d
	}
	m.decide(t, rates, now, 0, true)
	if n > 0 {
		m.log.insert(now, n)
	}
	return m.decide(t, rates, now, 0, false)
}

// mustRates makes rates or fails t.
func mustRates(t testing.TB, rates ...ratelimit.Rate) ratelimit.Rates {
	t.Helper()
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// rateLists are the lists TestModelAgreement moves keys between: limits
// raised and lowered on one interval, intervals added and dropped.
func rateLists(t testing.TB) []ratelimit.Rates {
	ms := time.Millisecond
	return []ratelimit.Rates{
		mustRates(t, ratelimit.Rate{Limit: 3, Interval: time.Second}, ratelimit.Rate{Limit: 10, Interval: 7 * time.Second}),
		mustRates(t, ratelimit.Rate{Limit: 5, Interval: time.Second}, ratelimit.Rate{Limit: 10, Interval: 7 * time.Second}),
		mustRates(t, ratelimit.Rate{Limit: 2, Interval: time.Second}, ratelimit.Rate{Limit: 6, Interval: 7 * time.Second}, ratelimit.Rate{Limit: 20, Interval: 30 * time.Second}),
		mustRates(t, ratelimit.Rate{Limit: 4, Interval: 700 * ms}, ratelimit.Rate{Limit: 9, Interval: 3 * time.Second}),
		mustRates(t, ratelimit.Rate{Limit: 7, Interval: 300 * ms}, ratelimit.Rate{Limit: 20, Interval: 1300 * ms}, ratelimit.Rate{Limit: 45, Interval: 7 * time.Second}),
		mustRates(t, ratelimit.Rate{Limit: 3, Interval: time.Second}),
		mustRates(t, ratelimit.Rate{Limit: 11, Interval: 3 * time.Second}),
	}
}

// TestModelAgreement holds every decision of each algorithm to the Go
// model's (core.DecideLog over a log cut to each take's largest interval,
// core.State), on random sequences of takes and checks of weights 0 to
// limit+1, refunds of admitted takes and charges on a few keys, at times
// that mostly go forward but also jump far ahead and go back (negative
// times too: the counter's floor modulo; a refund of a take stamped after
// the time; a charge stamped before the log's newest row), with random
// changes of the rates between calls (limits raised and lowered, intervals
// added and dropped) and the odd Reset. Takes under blocks (the zero
// Block, counts, escalations, a cap reached at the second level) and
// Blocks of random lengths (up to ratelimit.MaxInterval) are held to
// core.BlockState, decisions and stored block rows alike.
func TestModelAgreement(t *testing.T) {
	seeds := 3
	if s := os.Getenv("PGSTORE_MODEL_SEEDS"); s != "" {
		seeds, _ = strconv.Atoi(s)
	}
	pool := sharedPool(t)
	lists := rateLists(t)
	blocks := []ratelimit.Block{
		{},
		{For: 500 * time.Millisecond},
		{For: 300 * time.Millisecond, After: 3, Within: time.Second},
		{For: 200 * time.Millisecond, Factor: 3, Max: 5 * time.Second},
		{For: 100 * time.Millisecond, After: 2, Within: 500 * time.Millisecond, Factor: 2},
		{For: 50 * time.Millisecond, Factor: 1 << 40}, // 100 years from the second block
	}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(seeds) {
				clock := core.NewFakeClock(-5000)
				s, table := newStore(t, pool, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock))
				rng := rand.New(rand.NewPCG(seed, 7))
				keys := []string{"a", "b", "c"}
				models := map[string]*model{}
				history := map[string][]string{} // each key's last calls, for a failure's message
				type taken struct {
					key string
					d   ratelimit.Decision
					n   int64
				}
				var open []taken // admitted takes not refunded yet
				current := map[string]ratelimit.Rates{}
				for _, k := range keys {
					models[k], current[k] = newModel(alg), lists[rng.IntN(len(lists))]
				}
				for step := range 500 {
					now := clock.Now()
					switch r := rng.IntN(100); {
					case r < 3:
						now -= rng.Int64N(3000) // back: before TATs and windows
					case r < 6:
						now += 5000 + rng.Int64N(30000) // far ahead
					default:
						now += rng.Int64N(400) - 100
					}
					if alg == ratelimit.GCRA {
						// core's GCRA state with no history has a TAT of 0,
						// which counts as owed units before time 0; the
						// store keeps no row for a key it never wrote, so a
						// change of rates would carry those units there
						// and not here.
						now = max(now, 0)
					}
					clock.Set(now)
					r := rng.IntN(100)
					k := keys[rng.IntN(len(keys))]
					var tk taken // the take to refund
					if r >= 20 && r < 32 && len(open) > 0 {
						i := rng.IntN(len(open))
						tk, k = open[i], open[i].key
						open = slices.Delete(open, i, i+1)
					}
					if rng.IntN(10) == 0 {
						current[k] = lists[rng.IntN(len(lists))]
					}
					rates, m := current[k], models[k]
					n := rng.Int64N(rates.Smallest().Limit + 2)
					what := fmt.Sprintf("seed %d step %d: key %s at %d, %d units under %v", seed, step, k, now, n, rates)
					if h := history[k]; len(h) > 0 {
						what = fmt.Sprintf("after\n\t%s\n%s", strings.Join(h[max(len(h)-8, 0):], "\n\t"), what)
					}
					switch {
					case r < 2:
						if err := s.Reset(t.Context(), k); err != nil {
							t.Fatalf("%s: Reset: %v", what, err)
						}
						models[k] = newModel(alg)
						history[k] = append(history[k], fmt.Sprintf("reset at %d", now))
					case r < 20:
						want := m.decide(t, rates, now, n, false)
						if got, err := s.Check(t.Context(), k, rates, n); err != nil || got != want {
							t.Fatalf("%s: Check = %v, %v; want %v", what, got, err, want)
						}
						history[k] = append(history[k], fmt.Sprintf("check %d at %d under %v: %v", n, now, rates, want))
					case tk.n > 0:
						n = min(1+rng.Int64N(tk.n), rates.Smallest().Limit)
						want := m.refund(t, rates, now, tk.d.At, n)
						if got, err := s.Refund(t.Context(), k, rates, tk.d, n); err != nil || got != want {
							t.Fatalf("%s: Refund of %d units of the take at %d = %v, %v; want %v", what, n, tk.d.At, got, err, want)
						}
						history[k] = append(history[k], fmt.Sprintf("refund %d of the take at %d, at %d under %v: %v", n, tk.d.At, now, rates, want))
					case r < 40:
						n = min(n, rates.Smallest().Limit)
						want := m.charge(t, rates, now, n)
						if got, err := s.Charge(t.Context(), k, rates, n); err != nil || got != want {
							t.Fatalf("%s: Charge = %v, %v; want %v", what, got, err, want)
						}
						history[k] = append(history[k], fmt.Sprintf("charge %d at %d under %v: %v", n, now, rates, want))
					case r < 52:
						b := blocks[rng.IntN(len(blocks))]
						want := m.takeBlocking(t, rates, b, now, n)
						if got, err := s.TakeBlocking(t.Context(), k, rates, n, b); err != nil || got != want {
							t.Fatalf("%s: TakeBlocking under %+v = %v (blocked %v), %v; want %v (blocked %v)", what, b, got, got.Blocked, err, want, want.Blocked)
						}
						if want.Allowed && n > 0 {
							open = append(open, taken{k, want, n})
						}
						history[k] = append(history[k], fmt.Sprintf("take %d under %+v at %d under %v: %v (blocked %v)", n, b, now, rates, want, want.Blocked))
					case r < 55:
						d := time.Duration(1+rng.Int64N(2000)) * time.Millisecond
						if rng.IntN(20) == 0 {
							d = ratelimit.MaxInterval
						}
						m.block.Hold(now, d.Milliseconds())
						if err := s.Block(t.Context(), k, d); err != nil {
							t.Fatalf("%s: Block for %v: %v", what, d, err)
						}
						history[k] = append(history[k], fmt.Sprintf("block for %v at %d", d, now))
					default:
						want := m.decide(t, rates, now, n, true)
						if got, err := s.Take(t.Context(), k, rates, n); err != nil || got != want {
							t.Fatalf("%s: Take = %v, %v; want %v", what, got, err, want)
						}
						if want.Allowed && n > 0 {
							open = append(open, taken{k, want, n})
						}
						history[k] = append(history[k], fmt.Sprintf("take %d at %d under %v: %v", n, now, rates, want))
					}
					if got, want := blockRow(t, pool, table, k), models[k].block; got != want {
						t.Fatalf("%s: the stored block is %+v; want %+v", what, got, want)
					}
				}
			}
		})
	}
}

// TestBadInput: bad takes are errors that touch nothing, and bad options
// errors from New.
func TestBadInput(t *testing.T) {
	pool := sharedPool(t)
	ctx := t.Context()
	ok := mustRates(t, ratelimit.PerSecond(5))
	// 2^44 units a day: limit × interval in ms is far beyond 2^53.
	huge := mustRates(t, ratelimit.PerDay(1<<44))
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg))
			for _, c := range []struct {
				name  string
				rates ratelimit.Rates
				n     int64
				want  error
			}{
				{"negative n", ok, -1, ratelimit.ErrInvalidArgument},
				{"no rates", nil, 1, ratelimit.ErrInvalidRate},
				{"zero limit", ratelimit.Rates{{Limit: 0, Interval: time.Second}}, 1, ratelimit.ErrInvalidRate},
				{"zero interval", ratelimit.Rates{{Limit: 1}}, 1, ratelimit.ErrInvalidRate},
			} {
				if d, err := s.Take(ctx, "k", c.rates, c.n); !errors.Is(err, c.want) || d != (ratelimit.Decision{}) {
					t.Errorf("Take(%s) = %v, %v; want a zero Decision and %v", c.name, d, err, c.want)
				}
				if _, err := s.Check(ctx, "k", c.rates, c.n); !errors.Is(err, c.want) {
					t.Errorf("Check(%s) = %v; want %v", c.name, err, c.want)
				}
				if d, err := s.TakeBlocking(ctx, "k", c.rates, c.n, ratelimit.Block{For: time.Second}); !errors.Is(err, c.want) || d != (ratelimit.Decision{}) {
					t.Errorf("TakeBlocking(%s) = %v, %v; want a zero Decision and %v", c.name, d, err, c.want)
				}
			}
			if n, m, b := rowCount(t, pool, table, ""), rowCount(t, pool, table+"_state", ""), rowCount(t, pool, table+"_block", ""); n+m+b != 0 {
				t.Errorf("bad takes wrote %d log rows, %d state rows and %d block rows, want none", n, m, b)
			}
			_, err := s.Take(ctx, "k", huge, 1)
			if alg == ratelimit.SlidingWindowLog {
				if err != nil {
					t.Errorf("the log: Take(%v) = %v", huge, err)
				}
				return
			}
			if !errors.Is(err, ratelimit.ErrInvalidRate) {
				t.Errorf("Take(%v) = %v, want ErrInvalidRate", huge, err)
			}
			// Just inside the bound.
			edge := ratelimit.Rates{{Limit: 1 << 43, Interval: 1024 * time.Millisecond}}
			if d, err := s.Take(ctx, "edge", edge, 1<<43); err != nil || !d.Allowed || d.Remaining != 0 {
				t.Errorf("Take(2^43) at 2^43/1024ms = %v, %v; want allowed, 0 remaining", d, err)
			}
			if d, err := s.Take(ctx, "edge", edge, 1<<62); err != nil || d.Allowed || d.RetryAfter != ratelimit.Never {
				t.Errorf("Take(2^62) = %v, %v; want denied, never", d, err)
			}
		})
	}
	for _, c := range []struct {
		name string
		opts []pgstore.Option
	}{
		{"unknown algorithm", []pgstore.Option{pgstore.WithAlgorithm("leaky")}},
		{"negative sweep interval", []pgstore.Option{pgstore.WithSweepInterval(-time.Second)}},
		{"max batch 0", []pgstore.Option{pgstore.WithMaxBatch(0)}},
		{"negative max batch", []pgstore.Option{pgstore.WithMaxBatch(-1)}},
		{"nil option", []pgstore.Option{nil}},
		{"table not an identifier", []pgstore.Option{pgstore.WithTable("a-b")}},
		{"table too long", []pgstore.Option{pgstore.WithTable("t234567890123456789012345678901234567890123456789")}},
		{"table in pg_", []pgstore.Option{pgstore.WithTable("PG_limits")}},
	} {
		if s, err := pgstore.New(ctx, pool, c.opts...); !errors.Is(err, ratelimit.ErrInvalidArgument) {
			t.Errorf("New(%s) = %v; want ErrInvalidArgument", c.name, err)
			if s != nil {
				s.Close()
			}
		}
	}
	if _, err := pgstore.New(ctx, nil); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Errorf("New(nil pool) = %v; want ErrInvalidArgument", err)
	}
}

// TestClosed: after Close, every method fails with ErrClosed, and Close
// again returns nil.
func TestClosed(t *testing.T) {
	pool := sharedPool(t)
	s, _ := newStore(t, pool, pgstore.WithSweepInterval(time.Millisecond))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rates := mustRates(t, ratelimit.PerSecond(1))
	if _, err := s.Take(t.Context(), "k", rates, 1); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Take after Close = %v", err)
	}
	if _, err := s.Check(t.Context(), "k", rates, 1); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Check after Close = %v", err)
	}
	if err := s.Reset(t.Context(), "k"); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Reset after Close = %v", err)
	}
	if _, err := s.TakeBlocking(t.Context(), "k", rates, 1, ratelimit.Block{For: time.Second}); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("TakeBlocking after Close = %v", err)
	}
	if err := s.Block(t.Context(), "k", time.Second); !errors.Is(err, ratelimit.ErrClosed) {
		t.Errorf("Block after Close = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
