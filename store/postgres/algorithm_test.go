package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// constantAlgorithms are the algorithms that keep a few numbers per name.
var constantAlgorithms = []ratelimit.Algorithm{ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter}

// TestAlgorithmBadInput: an unknown algorithm and a rate beyond exact
// arithmetic are errors from New, not from the first put.
func TestAlgorithmBadInput(t *testing.T) {
	pool := sharedPool(t)
	ok := []ratelimit.Rate{ratelimit.PerSecond(5)}
	if _, err := pgstore.New(pool, ok, pgstore.WithAlgorithm("leaky"), pgstore.WithSweepInterval(0)); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Errorf("New(unknown algorithm): err = %v, want ErrInvalidArgument", err)
	}
	// 2^44 units a day: limit × interval in ms is far beyond 2^53.
	huge := []ratelimit.Rate{ratelimit.PerDay(1 << 44)}
	for _, alg := range constantAlgorithms {
		if _, err := pgstore.New(pool, huge, pgstore.WithAlgorithm(alg), pgstore.WithSweepInterval(0)); !errors.Is(err, ratelimit.ErrInvalidRates) {
			t.Errorf("%s: New(%v): err = %v, want ErrInvalidRates", alg, huge, err)
		}
		// Just inside the bound.
		edge := []ratelimit.Rate{ratelimit.Per(1<<43, 1024*time.Millisecond)}
		s := newStore(t, pool, edge, pgstore.WithAlgorithm(alg))
		if d, err := s.Acquire(t.Context(), "k", 1<<43); err != nil || !d.Allowed || d.Remaining != 0 {
			t.Errorf("%s: Acquire(2^43) at 2^43/1024ms = %+v, %v; want allowed, 0 remaining", alg, d, err)
		}
		if d, err := s.Acquire(t.Context(), "k", 1<<62); err != nil || d.Allowed || d.RetryAfter != ratelimit.Never {
			t.Errorf("%s: Acquire(2^62) = %+v, %v; want denied, never", alg, d, err)
		}
	}
	s, err := pgstore.New(pool, huge, pgstore.WithSweepInterval(0))
	if err != nil {
		t.Errorf("the log: New(%v): %v", huge, err)
	} else {
		s.Close()
	}
}

// TestStateRows checks what a constant-state algorithm keeps: one row per
// name whatever it is put, Count as the core counts at the server's clock,
// Flush and a name's Leak, and that the log's table stays empty.
func TestStateRows(t *testing.T) {
	pool := sharedPool(t)
	for _, alg := range constantAlgorithms {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			rates := []ratelimit.Rate{ratelimit.PerHour(100), ratelimit.PerDay(1000)}
			s := newStore(t, pool, rates, pgstore.WithAlgorithm(alg))
			for i := range 10 {
				if d, err := s.Acquire(ctx, "a", int64(i+1)); err != nil || !d.Allowed {
					t.Fatalf("Acquire = %+v, %v", d, err)
				}
			}
			if d, err := s.Acquire(ctx, "a", 50); err != nil || d.Allowed {
				t.Fatalf("Acquire(50) after 55 of 100/h = %+v, %v; want denied", d, err)
			}
			rows := func(table string) (n int) {
				t.Helper()
				if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %q`, table)).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := rows(s.Table() + "_state"); n != 1 {
				t.Fatalf("%d state rows, want 1", n)
			}
			if n := rows(s.Table()); n != 0 {
				t.Fatalf("%d log rows, want 0", n)
			}
			b, _ := s.Bucket(ctx, "a")
			// Nothing leaks within the hour.
			now, err := s.Now(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := b.Count(ctx); err != nil || n != 55 {
				t.Fatalf("Count = %d, %v; want 55", n, err)
			}
			if n, err := b.Leak(ctx, now+1000); err != nil || n != 0 || rows(s.Table()+"_state") != 1 {
				t.Fatalf("Leak(now+1s) = %d, %v; want 0 and the row kept", n, err)
			}
			if err := b.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := b.Count(ctx); err != nil || n != 0 || rows(s.Table()+"_state") != 0 {
				t.Fatalf("after Flush: Count = %d, %v; want 0 and no row", n, err)
			}
			if d, err := s.Acquire(ctx, "a", 1); err != nil || !d.Allowed {
				t.Fatalf("Acquire = %+v, %v", d, err)
			}
			if n, err := b.Leak(ctx, now+2*24*3600*1000); err != nil || n != 0 || rows(s.Table()+"_state") != 0 {
				t.Fatalf("Leak(now+2d) = %d, %v; want 0 and the row gone", n, err)
			}
		})
	}
}

// TestLeakStateBatches leaks more idle state rows than one batch holds,
// from the Store, and keeps the rows that still count.
func TestLeakStateBatches(t *testing.T) {
	pool := sharedPool(t)
	for _, alg := range constantAlgorithms {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			s := newStore(t, pool, []ratelimit.Rate{ratelimit.PerSecond(10)}, pgstore.WithAlgorithm(alg))
			const names = 2500
			// Old state for most names, through the decision function in
			// short transactions: each put takes its name's lock.
			const base = int64(1_000_000_000) // a multiple of the interval
			for lo := 0; lo < names; lo += 500 {
				if _, err := pool.Exec(ctx, fmt.Sprintf(`SELECT %q(convert_to('n' || g, 'UTF8'), $1::smallint, 1, $2 + g, '{1000}', '{10}', true, true)
					FROM generate_series($3::int, $4::int) AS g`, s.Table()+"_decide"),
					algCode(alg), base, lo, lo+499); err != nil {
					t.Fatal(err)
				}
			}
			b, _ := s.Bucket(ctx, "recent")
			if d, err := b.Put(ctx, ratelimit.Item{Name: "recent", Time: base + 5000, Weight: 3}); err != nil || !d.Allowed {
				t.Fatalf("Put = %+v, %v", d, err)
			}
			left := func() (n int) {
				t.Helper()
				if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %q`, s.Table()+"_state")).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			// Name n<g> was put one unit at base+g. GCRA: idle from
			// base+g+100, rounded up to a second, so a leak at base+2500
			// drops g <= 1900. The counter: idle two windows after its own,
			// so a leak at base+3500 drops g < 2000.
			at, want := base+2500, names-1901+1
			if alg == ratelimit.AlgorithmSlidingWindowCounter {
				at, want = base+3500, names-2000+1
			}
			if n, err := s.Leak(ctx, at); err != nil || n != 0 || left() != want {
				t.Fatalf("Leak(%d) = %d, %v, %d rows left; want 0, %d rows left", at-base, n, err, left(), want)
			}
			// At base+5000 only the recent name counts. (Count would say 0:
			// it counts at the server's clock, long after base.)
			if n, err := s.Leak(ctx, base+5000); err != nil || n != 0 || left() != 1 {
				t.Fatalf("Leak(5000) = %d, %v, %d rows left; want 0, 1 row left", n, err, left())
			}
		})
	}
}

func algCode(alg ratelimit.Algorithm) int16 {
	if alg == ratelimit.AlgorithmGCRA {
		return 1
	}
	return 2
}

// TestProcessesGCRA hammers one name with GCRA at 50/s from 8 goroutines
// and 4 child processes for 3s, each with its own pool: the admitted stamps
// never beat the token-bucket bound (at most limit + floor(t·limit/interval)
// in any span t), and at least 90% of what it allows over the run is
// admitted.
func TestProcessesGCRA(t *testing.T) {
	if testing.Short() {
		t.Skip("3s load test")
	}
	pool := sharedPool(t)
	rate := ratelimit.PerSecond(50)
	s := newStore(t, pool, []ratelimit.Rate{rate}, pgstore.WithAlgorithm(ratelimit.AlgorithmGCRA))
	admitted, last := hammer(t, s, "50/s", 3*time.Second, helperAlg+"="+string(ratelimit.AlgorithmGCRA))
	iv := rate.IntervalMillis()
	for i := range admitted {
		for j := i; j < len(admitted); j++ {
			if n, span := int64(j-i+1), admitted[j]-admitted[i]; n > rate.Limit+span*rate.Limit/iv {
				t.Fatalf("%d units admitted in %dms, over the token-bucket bound of %s", n, span, rate)
			}
		}
	}
	allowed := rate.Limit + (last-admitted[0])*rate.Limit/iv
	if got := int64(len(admitted)); got*100 < allowed*90 {
		t.Fatalf("%d units admitted over %dms, want at least 90%% of the %d GCRA allows", got, last-admitted[0], allowed)
	}
	t.Logf("%d units admitted over %dms (GCRA allows %d)", len(admitted), last-admitted[0], allowed)
}

// TestBytesPerName measures the table space one name takes under each
// algorithm, 100,000 names at 1000/hour with one put of one unit each (the
// log: one row per put; the others: one row per name, whatever the
// traffic). Run with RATELIMIT_MEMORY_FIGURES=1.
func TestBytesPerName(t *testing.T) {
	if os.Getenv("RATELIMIT_MEMORY_FIGURES") != "1" {
		t.Skip("set RATELIMIT_MEMORY_FIGURES=1 to measure")
	}
	pool := sharedPool(t)
	const names = 100_000
	for _, c := range []struct {
		alg   ratelimit.Algorithm
		rates []ratelimit.Rate
		puts  int
	}{
		{ratelimit.AlgorithmSlidingWindowLog, []ratelimit.Rate{ratelimit.PerHour(1000)}, 1},
		{ratelimit.AlgorithmSlidingWindowLog, []ratelimit.Rate{ratelimit.PerHour(1000)}, 10},
		{ratelimit.AlgorithmGCRA, []ratelimit.Rate{ratelimit.PerHour(1000)}, 1},
		{ratelimit.AlgorithmGCRA, []ratelimit.Rate{ratelimit.PerHour(1000)}, 10},
		{ratelimit.AlgorithmGCRA, []ratelimit.Rate{ratelimit.PerMinute(100), ratelimit.PerHour(1000)}, 1},
		{ratelimit.AlgorithmSlidingWindowCounter, []ratelimit.Rate{ratelimit.PerHour(1000)}, 1},
		{ratelimit.AlgorithmSlidingWindowCounter, []ratelimit.Rate{ratelimit.PerMinute(100), ratelimit.PerHour(1000)}, 1},
	} {
		s := newStore(t, pool, c.rates, pgstore.WithAlgorithm(c.alg))
		fill(t, pool, s, names, c.puts)
		size := func() (log, state int64) {
			t.Helper()
			if err := pool.QueryRow(t.Context(), `SELECT pg_total_relation_size($1::regclass), pg_total_relation_size($2::regclass)`,
				`"`+s.Table()+`"`, `"`+s.Table()+`_state"`).Scan(&log, &state); err != nil {
				t.Fatal(err)
			}
			return log, state
		}
		log, state := size()
		// VACUUM FULL compacts the tables: what the live rows take, without
		// the dead versions updates leave until a vacuum reuses them.
		if _, err := pool.Exec(t.Context(), fmt.Sprintf(`VACUUM FULL %q, %q`, s.Table(), s.Table()+"_state")); err != nil {
			t.Fatal(err)
		}
		vlog, vstate := size()
		t.Logf("%-22s %-20s %2d put(s)/name: %6.1f bytes/name as written, %6.1f compacted (log table %d B, state table %d B; compacted %d B, %d B)",
			c.alg, ratelimit.Rates(c.rates), c.puts, float64(log+state)/names, float64(vlog+vstate)/names, log, state, vlog, vstate)
	}
}

// fill puts puts units under each of names names of s, through its
// decision function at the server's clock, 500 names per statement.
func fill(t *testing.T, pool *pgxpool.Pool, s *pgstore.Store, names, puts int) {
	t.Helper()
	var intervals, limits []int64
	for _, r := range s.Rates() {
		intervals, limits = append(intervals, r.IntervalMillis()), append(limits, r.Limit)
	}
	call := fmt.Sprintf(`SELECT %q(convert_to('name-' || g, 'UTF8'), NULL, 1, NULL, $1, $2, true, true) FROM generate_series($3::int, $4::int) AS g`, s.Table()+"_acquire")
	if alg := s.Algorithm(); alg != ratelimit.AlgorithmSlidingWindowLog {
		call = fmt.Sprintf(`SELECT %q(convert_to('name-' || g, 'UTF8'), %d::smallint, 1, NULL, $1, $2, true, true) FROM generate_series($3::int, $4::int) AS g`, s.Table()+"_decide", algCode(alg))
	}
	for range puts {
		for lo := 0; lo < names; lo += 500 {
			if _, err := pool.Exec(t.Context(), call, intervals, limits, lo, min(lo+499, names-1)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestKeysIsolatedGCRA: while a transaction holds name A's lock after a
// GCRA put, puts on B go on at once, a denial of A and a Waiting on A
// (which write nothing) answer at once, and an admitted put on A waits for
// the lock (bounded by its context) instead of being denied.
func TestKeysIsolatedGCRA(t *testing.T) {
	pool := sharedPool(t)
	s := newStore(t, pool, []ratelimit.Rate{ratelimit.PerHour(100)}, pgstore.WithAlgorithm(ratelimit.AlgorithmGCRA))
	ctx := t.Context()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT * FROM "`+s.Table()+`_decide"('A'::bytea, 1::smallint, 1, NULL, '{3600000}', '{100}', true, false)`); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		t.Fatal(err)
	}
	held := time.Now()
	released := make(chan struct{})
	go func() {
		defer close(released)
		time.Sleep(2 * time.Second)
		tx.Commit(context.WithoutCancel(ctx))
	}()
	defer func() { <-released }()

	for i := range 5 {
		start := time.Now()
		d, err := s.Acquire(ctx, "B", 1)
		if took := time.Since(start); err != nil || !d.Allowed || took > 100*time.Millisecond {
			t.Fatalf("Acquire B #%d while A is held = %+v, %v after %v; want allowed well under 100ms", i, d, err, took)
		}
	}
	b, _ := s.Bucket(ctx, "A")
	start := time.Now()
	if d, err := s.Acquire(ctx, "A", 101); err != nil || d.Allowed || d.RetryAfter != ratelimit.Never {
		t.Fatalf("Acquire A 101 while held = %+v, %v; want denied, never", d, err)
	}
	if w, err := b.Waiting(ctx, ratelimit.Item{Name: "A", Weight: 100}); err != nil || w != 0 {
		t.Fatalf("Waiting A 100 while held = %v, %v; want 0 (the held put is not committed)", w, err)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Fatalf("a denial and a Waiting on A took %v while A was held; want well under 100ms", took)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if d, err := s.Acquire(short, "A", 1); err == nil {
		t.Fatalf("Acquire A while held = %+v; want it to wait, then fail with its context", d)
	}
	d, err := s.Acquire(ctx, "A", 1) // waits for the commit, then fits
	if err != nil || !d.Allowed || d.Remaining != 98 {
		t.Fatalf("Acquire A after the wait = %+v, %v; want allowed, 98 remaining", d, err)
	}
	if waited := time.Since(held); waited < 2*time.Second {
		t.Fatalf("Acquire A returned after %v, before the lock was released", waited)
	}
	if n, err := b.Count(ctx); err != nil || n != 2 {
		t.Fatalf("Count A = %d, %v; want 2 (the held put and the waiting one)", n, err)
	}
}

// TestModelAgreementAnyOrder holds every decision of a constant-state
// algorithm to the core's, with explicit times that also go back (before a
// GCRA state's TAT by more than an interval, before a counter's window),
// weights of 0 to limit+1, and a Waiting before each put.
func TestModelAgreementAnyOrder(t *testing.T) {
	pool := sharedPool(t)
	for _, alg := range constantAlgorithms {
		t.Run(string(alg), func(t *testing.T) {
			for k, rates := range [][]ratelimit.Rate{
				{ratelimit.Per(3, time.Second)},
				{ratelimit.Per(7, 300*time.Millisecond), ratelimit.Per(20, 1300*time.Millisecond), ratelimit.Per(45, 7*time.Second)},
			} {
				rs, err := ratelimit.NewRates(rates...)
				if err != nil {
					t.Fatal(err)
				}
				s := newStore(t, pool, rates, pgstore.WithAlgorithm(alg))
				b, _ := s.Bucket(t.Context(), "k")
				gcra := make([]ratelimit.GCRAState, len(rs))
				ctr := make([]ratelimit.CounterState, len(rs))
				decide := func(now, w int64, g []ratelimit.GCRAState, c []ratelimit.CounterState) (d ratelimit.Decision) {
					if alg == ratelimit.AlgorithmGCRA {
						ratelimit.GCRA{}.DecideInto(&d, rs, now, w, g)
					} else {
						ratelimit.SlidingWindowCounter{}.DecideInto(&d, rs, now, w, c)
					}
					return d
				}
				rng := rand.New(rand.NewPCG(11, uint64(k)))
				now := int64(-5000) // negative times too: the counter's floor modulo
				for step := range 400 {
					now += rng.Int64N(400) - 150
					if step%25 == 24 {
						now -= rng.Int64N(4000) // far back: before TATs and windows
					}
					w := rng.Int64N(rs[0].Limit + 2)
					want := decide(now, w, slices.Clone(gcra), slices.Clone(ctr)).RetryAfter
					if got, err := b.Waiting(t.Context(), ratelimit.Item{Name: "k", Time: now, Weight: w}); err != nil || got != want {
						t.Fatalf("%v step %d: Waiting(t=%d, w=%d) = %v, %v; want %v", rs, step, now, w, got, err, want)
					}
					wantD := decide(now, w, gcra, ctr)
					got, err := b.Put(t.Context(), ratelimit.Item{Name: "k", Time: now, Weight: w})
					if err != nil || got != wantD {
						t.Fatalf("%v step %d: Put(t=%d, w=%d) = %+v, %v; want %+v", rs, step, now, w, got, err, wantD)
					}
				}
			}
		})
	}
}
