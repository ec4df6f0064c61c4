package sqlitestore_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// constantAlgorithms are the algorithms that keep one state row per name.
var constantAlgorithms = []ratelimit.Algorithm{ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter}

// stateRows returns how many rows the state table of alg holds in the file
// at path.
func stateRows(t *testing.T, path string, alg ratelimit.Algorithm) int64 {
	t.Helper()
	table := map[ratelimit.Algorithm]string{ratelimit.AlgorithmGCRA: "ratelimit_gcra", ratelimit.AlgorithmSlidingWindowCounter: "ratelimit_counter"}[alg]
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM "` + table + `"`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStateLeakBatches fills the state table with more idle rows than
// several leak batches hold, beside rows that still count: Store.Leak and a
// view's Leak delete exactly the idle ones, return 0, and change no
// decision.
func TestStateLeakBatches(t *testing.T) {
	for _, alg := range constantAlgorithms {
		t.Run(string(alg), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "leak.db")
			s := openStore(t, path, []ratelimit.Rate{ratelimit.Per(2, time.Second)}, sqlitestore.WithSweepInterval(0), sqlitestore.WithAlgorithm(alg))
			ctx := t.Context()
			old, young := 2500, 300
			if raceEnabled {
				old = 1100
			}
			put := func(name string, ts int64) {
				b, _ := s.Bucket(ctx, name)
				if d, err := b.Put(ctx, ratelimit.Item{Name: name, Time: ts, Weight: 2}); err != nil || !d.Allowed {
					t.Fatalf("Put(%s, %d) = %+v, %v", name, ts, d, err)
				}
			}
			for i := range old {
				put(fmt.Sprint("old-", i), 1000) // idle from 2000 (GCRA) or 3000 (counter)
			}
			for i := range young {
				put(fmt.Sprint("young-", i), 9000) // idle from 10000 or 11000
			}
			b, _ := s.Bucket(ctx, "young-0")
			if n, err := b.Leak(ctx, 5000); err != nil || n != 0 {
				t.Fatalf("view Leak = %d, %v; want 0", n, err)
			}
			if n, err := s.Leak(ctx, 5000); err != nil || n != 0 {
				t.Fatalf("Store.Leak = %d, %v; want 0", n, err)
			}
			if n := stateRows(t, path, alg); n != int64(young) {
				t.Fatalf("%d rows after the leak, want the %d that still count", n, young)
			}
			// The young names are still full: their state was kept.
			if d, err := b.Put(ctx, ratelimit.Item{Name: "young-0", Time: 9000, Weight: 1}); err != nil || d.Allowed {
				t.Fatalf("Put on a kept name = %+v, %v; want a denial", d, err)
			}
			if n, err := b.Leak(ctx, 20_000); err != nil || n != 0 {
				t.Fatalf("view Leak = %d, %v; want 0", n, err)
			}
			if n := stateRows(t, path, alg); n != int64(young-1) {
				t.Fatalf("%d rows after the view's leak, want %d", n, young-1)
			}
			if _, err := s.Leak(ctx, 20_000); err != nil {
				t.Fatal(err)
			}
			if n := stateRows(t, path, alg); n != 0 {
				t.Fatalf("%d rows after leaking everything", n)
			}
		})
	}
}

// TestStateOtherRates: a store with other rates on the same table fails
// on a name the first one stored, rather than misread its state; stores of
// different algorithms on one table keep their state apart.
func TestStateOtherRates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rates.db")
	gcra := sqlitestore.WithAlgorithm(ratelimit.AlgorithmGCRA)
	one := openStore(t, path, []ratelimit.Rate{ratelimit.PerSecond(2)}, sqlitestore.WithSweepInterval(0), gcra)
	two := openStore(t, path, []ratelimit.Rate{ratelimit.PerSecond(2), ratelimit.PerMinute(10)}, sqlitestore.WithSweepInterval(0), gcra)
	ctr := openStore(t, path, []ratelimit.Rate{ratelimit.PerSecond(2)}, sqlitestore.WithSweepInterval(0), sqlitestore.WithAlgorithm(ratelimit.AlgorithmSlidingWindowCounter))
	ctx := t.Context()
	if d, err := one.Acquire(ctx, "k", 2); err != nil || !d.Allowed {
		t.Fatalf("Acquire = %+v, %v", d, err)
	}
	if _, err := two.Acquire(ctx, "k", 1); err == nil {
		t.Fatal("a store with other rates read the state")
	}
	if d, err := ctr.Acquire(ctx, "k", 2); err != nil || !d.Allowed {
		t.Fatalf("counter Acquire = %+v, %v; want its own, empty state", d, err)
	}
}

// TestCrossProcessGCRA has 4 processes, started at the same moment on a
// file none of them created, hammer one name with GCRA at 50/s for 2s. The
// merged stamps of what they admitted never exceed the token-bucket bound
// (in any span t, at most 50 + floor(t·50/1000) units), and reach at least
// 95% of it over the whole run: lock contention causes no false denial.
func TestCrossProcessGCRA(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 4 processes for 2s")
	}
	const limit, iv = 50, 1000
	path := filepath.Join(t.TempDir(), "shared.db")
	job := append(helperJob("50/s", 1, 2*time.Second, 0, true), helperAlg+"="+string(ratelimit.AlgorithmGCRA))
	children := startChildren(t, 4, path, job...)
	for _, c := range children {
		c.Start(t)
	}
	var all []int64
	for i, c := range children {
		admitted, done := c.collect()
		if done == nil {
			t.Fatalf("child %d ended without a done line", i)
		}
		t.Logf("child %d: %d acquires, %d admitted", i, done[0], len(admitted))
		all = append(all, admitted...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		t.Fatal("nothing admitted")
	}
	for i := range all {
		for j := i; j < len(all); j++ {
			if n, span := int64(j-i+1), all[j]-all[i]; n > limit+span*limit/iv {
				t.Fatalf("%d units admitted in %dms, over the token-bucket bound", n, span)
			}
		}
	}
	span := all[len(all)-1] - all[0]
	bound := limit + span*limit/iv
	t.Logf("%d admitted over %dms, the bound is %d", len(all), span, bound)
	if int64(len(all))*100 < bound*95 {
		t.Fatalf("%d admitted over %dms, under 95%% of the %d GCRA allows", len(all), span, bound)
	}
}
