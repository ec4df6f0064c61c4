package pgstore_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// TestNewConcurrently runs New on one fresh table from 8 goroutines and 3
// child processes at once: the advisory lock makes every run succeed, and
// every algorithm's takes work on the table after it.
func TestNewConcurrently(t *testing.T) {
	pool := sharedPool(t)
	table := uniqueTable()
	dropTable(t, pool, table)
	children := startChildren(t, 3, table, helperMode+"=migrate")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	start := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			<-start
			s, err := pgstore.New(t.Context(), pool, pgstore.WithTable(table), pgstore.WithSweepInterval(0))
			if err == nil {
				s.Close()
			}
			errs <- err
		})
	}
	for _, c := range children {
		c.start(t)
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("New: %v", err)
		}
	}
	for i, c := range children {
		if _, _, ok := c.collect(); !ok {
			t.Errorf("child %d did not finish its New", i)
		}
	}
	rates := mustRates(t, ratelimit.PerSecond(5))
	for _, alg := range algorithms {
		s := newStoreOn(t, pool, table, pgstore.WithAlgorithm(alg))
		if d, err := s.Take(t.Context(), "k", rates, 1); err != nil || !d.Allowed {
			t.Fatalf("%s: Take after the migrations = %v, %v", alg, d, err)
		}
	}
}

// TestProcessesExact hammers one key with 50/s from 8 goroutines and 4
// child processes for 3s, each with its own pool, under the log at the
// server's clock: no 1s window ever holds more than 50 admitted units, and
// at least 95% of what the limit allows over the run is admitted.
func TestProcessesExact(t *testing.T) {
	if testing.Short() {
		t.Skip("3s load test")
	}
	pool := sharedPool(t)
	rate := ratelimit.PerSecond(50)
	s, table := newStore(t, pool)
	admitted, last := hammer(t, s, table, ratelimit.Rates{rate}, 3*time.Second)
	iv := rate.IntervalMillis()
	for i, ts := range admitted {
		lo, _ := slices.BinarySearch(admitted, ts-iv)
		if n := i + 1 - lo; n > int(rate.Limit) {
			t.Fatalf("%d units admitted in [%d, %d], over %s", n, ts-iv, ts, rate)
		}
	}
	// Under constant demand, the k-th window admits the first window's units
	// again, each interval+1 ms later: that is what the limit allows up to
	// the last decision, less 50ms for a slot freed just before the end.
	span := last - admitted[0]
	var allowed int64
	for _, a := range admitted {
		if a > admitted[0]+iv {
			break
		}
		for at := a; at <= last-50; at += iv + 1 {
			allowed++
		}
	}
	if got := int64(len(admitted)); got*100 < allowed*95 {
		t.Fatalf("%d units admitted over %dms, want at least 95%% of the %d the limit allows", got, span, allowed)
	}
	t.Logf("%d units admitted over %dms (limit allows %d)", len(admitted), span, allowed)
}

// TestProcessesGCRA hammers one key with GCRA at 50/s as
// TestProcessesExact does: the admitted stamps never beat the token-bucket
// bound (at most limit + floor(t·limit/interval) in any span t), and at
// least 90% of what it allows over the run is admitted.
func TestProcessesGCRA(t *testing.T) {
	if testing.Short() {
		t.Skip("3s load test")
	}
	pool := sharedPool(t)
	rate := ratelimit.PerSecond(50)
	s, table := newStore(t, pool, pgstore.WithAlgorithm(ratelimit.GCRA))
	admitted, last := hammer(t, s, table, ratelimit.Rates{rate}, 3*time.Second, helperAlg+"="+string(ratelimit.GCRA))
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

// hammer takes one unit at a time under "hot" through s from 8 goroutines
// and from 4 child processes (each with its own pool and Store on table,
// with env) against rates for run, and returns the admitted stamps, sorted,
// and the last stamp any take of this process saw.
func hammer(t *testing.T, s *pgstore.Store, table string, rates ratelimit.Rates, run time.Duration, env ...string) ([]int64, int64) {
	t.Helper()
	children := startChildren(t, 4, table, append([]string{helperMode + "=hammer", helperRate + "=" + rates.String(), helperRun + "=" + run.String()}, env...)...)
	var (
		mu       sync.Mutex
		admitted []int64
		last     int64
		wg       sync.WaitGroup
	)
	for _, c := range children {
		c.start(t)
	}
	for range 8 {
		wg.Go(func() {
			var mine []int64
			var end int64
			for start := time.Now(); time.Since(start) < run; {
				d, err := s.Take(t.Context(), "hot", rates, 1)
				if err != nil {
					t.Errorf("Take: %v", err)
					return
				}
				if d.Allowed {
					mine = append(mine, d.At)
				}
				end = d.At
			}
			mu.Lock()
			admitted, last = append(admitted, mine...), max(last, end)
			mu.Unlock()
		})
	}
	for i, c := range children {
		ts, end, ok := c.collect()
		if !ok {
			t.Fatalf("child %d failed", i)
		}
		mu.Lock()
		admitted, last = append(admitted, ts...), max(last, end)
		mu.Unlock()
	}
	wg.Wait()
	if len(admitted) == 0 {
		t.Fatal("nothing admitted")
	}
	slices.Sort(admitted)
	return admitted, last
}
