package pgstore_test

import (
	"fmt"
	"testing"
)

// TestAsyncCommit calls each take function, and the batch take function
// on each of its paths (takes decided together, one at a time, and both),
// in a transaction, with and without its async argument (what
// WithAsyncCommit passes): with it, synchronous_commit is off for the rest
// of the transaction, so that its commit does not wait for the WAL flush;
// without it, on.
func TestAsyncCommit(t *testing.T) {
	pool := sharedPool(t)
	_, table := newStore(t, pool)
	// A batch of two takes, of key a and second (a or b), under algorithm
	// alg, trying the keys' locks or not.
	batch := func(second string, alg int, try bool) string {
		return fmt.Sprintf(`SELECT count(*) FROM "%s_take_batch"(ARRAY['a'::bytea, '%s'], %d::smallint, '{1,1}', NULL,
			'{0,1,2}', '{1000,1000}', '{10,10}', $1, %t, NULL, NULL, NULL, NULL, NULL)`, table, second, alg, try)
	}
	for _, c := range []struct{ name, call string }{
		{"take", fmt.Sprintf(`SELECT count(*) FROM "%s_take"('a'::bytea, 1, NULL, '{1000}', '{10}', true, $1)`, table)},
		{"take_state", fmt.Sprintf(`SELECT count(*) FROM "%s_take_state"('a'::bytea, 1::smallint, 1, NULL, '{1000}', '{10}', true, $1)`, table)},
		{"batch/log/together", batch("b", 0, true)},
		{"batch/log/both", batch("a", 0, true)},
		{"batch/log/alone", batch("a", 0, false)},
		{"batch/gcra/together", batch("b", 1, true)},
		{"batch/counter/alone", batch("a", 2, false)},
	} {
		for _, async := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/async=%t", c.name, async), func(t *testing.T) {
				ctx := t.Context()
				tx, err := pool.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback(ctx)
				var n int
				if err := tx.QueryRow(ctx, c.call, async).Scan(&n); err != nil {
					t.Fatal(err)
				}
				var got string
				if err := tx.QueryRow(ctx, "SHOW synchronous_commit").Scan(&got); err != nil {
					t.Fatal(err)
				}
				if want := map[bool]string{true: "off", false: "on"}[async]; got != want {
					t.Errorf("synchronous_commit after the call: %s, want %s", got, want)
				}
			})
		}
	}
}
