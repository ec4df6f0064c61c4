package pgstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// collidingTable is a table under which the two collidingKeys share their
// takes' advisory-lock id (a 64-bit hashtextextended of the table and the
// key, see holdKey): a pair found by a Pollard-rho search (distinguished
// points) over a Go port of PostgreSQL's hash_bytes_extended, about 2^32
// hashes. TestLockCollision checks that the server agrees.
const collidingTable = "rltest_lockcollide"

var collidingKeys = [2]string{"\x26\xcc\xc1\x6b\x66\x4f\x60\x5c", "\xd4\x5a\xbf\x55\xcf\x02\x5c\xc0"}

// TestLockCollision holds two keys that share an advisory-lock id to the
// model, under each algorithm: they share the lock, never their state. On
// random batches over the two keys and a third (a key's first take decided
// with the other lock ids' first ones; the second key of the id then one
// at a time, after the first key's), mixed with lone takes, every decision
// is the model's. With the first key held by another transaction, a batch
// passes over the second key's takes as busy and decides the third key's,
// and a lone take of the second key waits for the lock and is then
// admitted.
func TestLockCollision(t *testing.T) {
	pool := sharedPool(t)
	// The table's name is fixed: a second run of this test against the
	// same server waits for the first.
	conn, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	if _, err := conn.Exec(t.Context(), `SELECT pg_advisory_lock(hashtext($1))`, collidingTable); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context() is done by now.
		if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, collidingTable); err != nil {
			t.Errorf("releasing the test's lock: %v", err)
		}
	})

	if lockID(t, pool, collidingTable, collidingKeys[0]) != lockID(t, pool, collidingTable, collidingKeys[1]) {
		t.Fatalf("keys %q and %q no longer share a lock id under %s: the lock id changed, find another pair", collidingKeys[0], collidingKeys[1], collidingTable)
	}

	lists := rateLists(t)
	keys := []string{collidingKeys[0], collidingKeys[1], "other"}
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			// A run that died may have left the table.
			if _, err := pool.Exec(t.Context(), dropSQL(collidingTable)); err != nil {
				t.Fatal(err)
			}
			dropTable(t, pool, collidingTable)
			clock := core.NewFakeClock(10000)
			s := newStoreOn(t, pool, collidingTable, pgstore.WithAlgorithm(alg), pgstore.WithClock(clock))
			rng := rand.New(rand.NewPCG(1, 13))
			models, current := map[string]*model{}, map[string]ratelimit.Rates{}
			for _, k := range keys {
				models[k], current[k] = newModel(alg), lists[rng.IntN(len(lists))]
			}
			for step := range 120 {
				clock.Advance(time.Duration(rng.Int64N(300)) * time.Millisecond)
				if rng.IntN(3) == 0 {
					k := keys[rng.IntN(len(keys))]
					n := rng.Int64N(current[k].Smallest().Limit + 2)
					d, err := s.Take(t.Context(), k, current[k], n)
					if want := models[k].decide(t, current[k], clock.Now(), n, true); err != nil || d != want {
						t.Fatalf("step %d: Take of %d under %q = %v, %v; want %v", step, n, k, d, err, want)
					}
					continue
				}
				bkeys, brates, ns, nows := randomTakes(rng, 1+rng.IntN(8), keys, current, lists, clock.Now(), 0)
				got, errs, err := pgstore.TakeBatch(t.Context(), s, bkeys, brates, ns, nows)
				if err != nil {
					t.Fatalf("step %d: the batch failed: %v", step, err)
				}
				for i, k := range bkeys {
					if want := models[k].decide(t, brates[i], nows[i], ns[i], true); errs[i] != nil || got[i] != want {
						t.Fatalf("step %d: take %d of %d units under %q = %v, %v; want %v", step, i, ns[i], k, got[i], errs[i], want)
					}
				}
			}

			// The first key held: its lock is the second key's.
			rates := mustRates(t, ratelimit.PerHour(1000))
			release := holdKey(t, pool, collidingTable, collidingKeys[0])
			got, errs, err := pgstore.TakeBatch(t.Context(), s, []string{collidingKeys[1], "held-apart"},
				[]ratelimit.Rates{rates, rates}, []int64{1, 1}, []int64{clock.Now(), clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if errs[0] == nil {
				t.Errorf("take of %q while %q is held = %v; want passed over as busy", collidingKeys[1], collidingKeys[0], got[0])
			}
			if errs[1] != nil || !got[1].Allowed {
				t.Errorf("take of another key while %q is held = %v, %v; want admitted", collidingKeys[0], got[1], errs[1])
			}
			log := watchBatches(s)
			lone := goTake(t.Context(), s, collidingKeys[1], rates)
			await(func() bool { return len(log.waited()) == 1 }) // sent to wait for the lock
			select {
			case r := <-lone:
				t.Fatalf("take of %q returned %v, %v while %q is held; want it to wait for the lock", collidingKeys[1], r.d, r.err, collidingKeys[0])
			default:
			}
			release()
			mustAllow(t, fmt.Sprintf("take of %q after the release", collidingKeys[1]), lone)
		})
	}
}
