package sqlitestore_test

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestStateAcrossStores has two Stores on one file, as two processes
// would, take turns on one key under GCRA and the counter, under rate
// lists that change now and then: every decision is the core's, as the
// key's row carries its state and the rates it was kept under from one
// store to the other.
func TestStateAcrossStores(t *testing.T) {
	lists := []ratelimit.Rates{
		mustRates(t, per(10, time.Minute)),
		mustRates(t, per(5, time.Minute)),
		mustRates(t, per(2, time.Second), per(20, time.Minute)),
		mustRates(t, per(3, time.Second), per(30, 10*time.Second)),
	}
	for _, alg := range algorithms[1:] {
		t.Run(string(alg), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			clock := core.NewFakeClock(1_000_000)
			stores := []*sqlitestore.Store{
				openStore(t, path, sqlitestore.WithAlgorithm(alg), sqlitestore.WithClock(clock)),
				openStore(t, path, sqlitestore.WithAlgorithm(alg), sqlitestore.WithClock(clock)),
			}
			model := core.State{Algorithm: alg}
			rng := rand.New(rand.NewPCG(2, 9))
			rates := lists[0]
			for step := range 1000 {
				if rng.IntN(8) == 0 {
					rates = lists[rng.IntN(len(lists))]
				}
				now := clock.Advance(time.Duration(rng.IntN(400)) * time.Millisecond)
				n := rng.Int64N(rates[0].Limit + 2)
				var want ratelimit.Decision
				if err := model.Decide(&want, rates, now, n, true); err != nil {
					t.Fatal(err)
				}
				got, err := stores[rng.IntN(2)].Take(t.Context(), "k", rates, n)
				if err != nil || got != want {
					t.Fatalf("step %d: Take(%v, n=%d) = %v, %v; want %v", step, rates, n, got, err, want)
				}
			}
		})
	}
}

// TestCrossProcessGCRA has 4 processes, started at the same moment on a
// file none of them created, hammer one key with GCRA at 50/s for 2s. The
// merged stamps of what they admitted never exceed the token-bucket bound
// (in any span t, at most 50 + floor(t·50/1000) units), and reach at least
// 95% of it over the whole run: lock contention causes no false denial.
func TestCrossProcessGCRA(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 4 processes for 2s")
	}
	const limit, iv = 50, 1000
	path := filepath.Join(t.TempDir(), "shared.db")
	job := append(helperJob("50/s", 1, 2*time.Second, 0, true), helperAlg+"="+string(ratelimit.GCRA))
	children := startChildren(t, 4, path, job...)
	for _, c := range children {
		c.start(t)
	}
	var all []int64
	for i, c := range children {
		admitted, done := c.collect()
		if done == nil {
			t.Fatalf("child %d ended without a done line", i)
		}
		t.Logf("child %d: %d takes, %d admitted", i, done[0], len(admitted))
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
