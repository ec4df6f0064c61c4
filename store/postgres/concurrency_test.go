package pgstore_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMigrateConcurrently runs Migrate on one fresh table from 8 goroutines
// and 3 child processes at once: the advisory lock makes every run succeed,
// and the log's table and the state table both exist after it.
func TestMigrateConcurrently(t *testing.T) {
	pool := sharedPool(t)
	table := uniqueTable()
	dropTable(t, pool, table)
	rates := []ratelimit.Rate{ratelimit.PerSecond(5)}
	children := startChildren(t, 3, table, helperMode+"=migrate", helperRate+"=5/s")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	start := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			s, err := pgstore.New(pool, rates, pgstore.WithTable(table), pgstore.WithSweepInterval(0))
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			<-start
			errs <- s.Migrate(t.Context())
		})
	}
	for _, c := range children {
		c.Start(t)
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Migrate: %v", err)
		}
	}
	for i, c := range children {
		if _, _, done := c.collect(); !done {
			t.Errorf("child %d did not finish its Migrate", i)
		}
		if err := c.Cmd.Wait(); err != nil {
			t.Errorf("child %d: %v", i, err)
		}
	}
	for _, alg := range algorithms {
		s := newStoreOn(t, pool, table, rates, pgstore.WithAlgorithm(alg))
		if d, err := s.Acquire(t.Context(), "k", 1); err != nil || !d.Allowed {
			t.Fatalf("%s: Acquire after the migrations = %+v, %v", alg, d, err)
		}
	}
}

// TestProcessesExact hammers one name with 50/s from 8 goroutines and 4
// child processes for 3s, each with its own pool: no 1s window ever holds
// more than 50 admitted units, and at least 95% of what the limit allows
// over the run is admitted.
func TestProcessesExact(t *testing.T) {
	if testing.Short() {
		t.Skip("3s load test")
	}
	pool := sharedPool(t)
	rate := ratelimit.PerSecond(50)
	s := newStore(t, pool, []ratelimit.Rate{rate})
	admitted, last := hammer(t, s, "50/s", 3*time.Second)
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

// newStoreOn returns a Store on an existing table, closed at the end of t.
func newStoreOn(t *testing.T, pool *pgxpool.Pool, table string, rates []ratelimit.Rate, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	s, err := pgstore.New(pool, rates, append([]pgstore.Option{pgstore.WithTable(table), pgstore.WithSweepInterval(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// hammer puts one unit at a time under "hot" through s from 8 goroutines and
// from 4 child processes (each with its own pool, at rate, with env) for
// run, and returns the admitted stamps, sorted, and the last stamp any put
// of this process saw.
func hammer(t *testing.T, s *pgstore.Store, rate string, run time.Duration, env ...string) ([]int64, int64) {
	t.Helper()
	children := startChildren(t, 4, s.Table(), append([]string{helperMode + "=hammer", helperRate + "=" + rate, helperRun + "=" + run.String()}, env...)...)
	var (
		mu       sync.Mutex
		admitted []int64
		last     int64
		wg       sync.WaitGroup
	)
	for _, c := range children {
		c.Start(t)
	}
	for range 8 {
		wg.Go(func() {
			var mine []int64
			var end int64
			for start := time.Now(); time.Since(start) < run; {
				d, err := s.Acquire(t.Context(), "hot", 1)
				if err != nil {
					t.Errorf("Acquire: %v", err)
					return
				}
				if d.Allowed {
					mine = append(mine, d.Time)
				}
				end = d.Time
			}
			mu.Lock()
			admitted, last = append(admitted, mine...), max(last, end)
			mu.Unlock()
		})
	}
	for i, c := range children {
		ts, end, done := c.collect()
		if err := c.Cmd.Wait(); err != nil || !done {
			t.Fatalf("child %d: %v (done %v)", i, err, done)
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
