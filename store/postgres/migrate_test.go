package pgstore_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gorate/ratelimit"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// TestNewAgain runs New again on tables with rows, for each algorithm: it
// keeps them.
func TestNewAgain(t *testing.T) {
	pool := sharedPool(t)
	rates := mustRates(t, ratelimit.PerHour(2))
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s, table := newStore(t, pool, pgstore.WithAlgorithm(alg))
			ctx := t.Context()
			if d, err := s.Take(ctx, "k", rates, 2); err != nil || !d.Allowed {
				t.Fatalf("Take = %v, %v", d, err)
			}
			again := newStoreOn(t, pool, table, pgstore.WithAlgorithm(alg))
			if d, err := again.Take(ctx, "k", rates, 1); err != nil || d.Allowed {
				t.Fatalf("Take after a second New = %v, %v; want denied (rows kept)", d, err)
			}
		})
	}
}

// TestNewUpgrades runs New, for each algorithm, on tables with rows whose
// functions are those of the version before Refund and Charge (take,
// take_state, reset; here of this version) or none: it makes this
// version's and keeps every row, so that a take made before it is refunded
// after it, named by its At.
func TestNewUpgrades(t *testing.T) {
	pool := sharedPool(t)
	rates := mustRates(t, ratelimit.PerHour(2))
	for _, alg := range algorithms {
		for _, dropped := range [][]string{
			{"settle", "settle_state", "idle_at"},
			{"take", "take_state", "reset", "settle", "settle_state", "idle_at"},
		} {
			t.Run(fmt.Sprintf("%s/without %v", alg, dropped), func(t *testing.T) {
				s, table := newStore(t, pool, pgstore.WithAlgorithm(alg))
				ctx := t.Context()
				taken, err := s.Take(ctx, "k", rates, 2)
				if err != nil || !taken.Allowed {
					t.Fatalf("Take = %v, %v", taken, err)
				}
				if _, err := pool.Exec(ctx, dropFunctionsSQL(table, dropped...)); err != nil {
					t.Fatal(err)
				}
				again := newStoreOn(t, pool, table, pgstore.WithAlgorithm(alg))
				if d, err := again.Take(ctx, "k", rates, 1); err != nil || d.Allowed {
					t.Fatalf("Take after New = %v, %v; want denied (rows kept)", d, err)
				}
				if d, err := again.Refund(ctx, "k", rates, taken, 1); err != nil || !d.Allowed || d.Remaining != 1 {
					t.Fatalf("Refund of 1 unit of the take before New = %v, %v; want allowed, 1 left", d, err)
				}
			})
		}
	}
}

// oldSchema is the schema of the version before rates came with each call:
// names, per-unit item names, no expiry per row, no rates per state row.
const oldSchema = `
CREATE TABLE %[1]s (
	name bytea NOT NULL, before bigint NOT NULL, ts bigint NOT NULL,
	weight bigint NOT NULL CHECK (weight > 0), item bytea, PRIMARY KEY (name, before));
CREATE TABLE %[2]s (
	name bytea PRIMARY KEY, alg smallint NOT NULL, state bigint[] NOT NULL, idle_at bigint NOT NULL);
INSERT INTO %[1]s (name, before, ts, weight) VALUES ('k', 0, 1, 1);`

// TestOldSchemaRefused: New refuses tables made by the earlier version
// (the log's, or only the state table) and a block table made by something
// else, with an error naming the table and a missing column and saying what
// to do, and changes nothing; once they are dropped, New makes them anew.
func TestOldSchemaRefused(t *testing.T) {
	pool := sharedPool(t)
	ctx := t.Context()
	for _, c := range []struct {
		name, ddl, missing string
	}{
		{"both tables", oldSchema, `"%s" has no column key`},
		{"the state table", `CREATE TABLE %[2]s (name bytea PRIMARY KEY, alg smallint NOT NULL, state bigint[] NOT NULL, idle_at bigint NOT NULL)`,
			`"%s_state" has no column key`},
		{"the log without expires", `CREATE TABLE %[1]s (key bytea NOT NULL, before bigint NOT NULL, ts bigint NOT NULL, weight bigint NOT NULL)`,
			`"%s" has no column expires`},
		{"another block table", `CREATE TABLE %[3]s (key bytea PRIMARY KEY, until bigint NOT NULL)`,
			`"%s_block" has no column until_at`},
	} {
		t.Run(c.name, func(t *testing.T) {
			table := uniqueTable()
			dropTable(t, pool, table)
			if _, err := pool.Exec(ctx, fmt.Sprintf(c.ddl, `"`+table+`"`, `"`+table+`_state"`, `"`+table+`_block"`)); err != nil {
				t.Fatal(err)
			}
			s, err := pgstore.New(ctx, pool, pgstore.WithTable(table), pgstore.WithSweepInterval(0))
			if err == nil {
				s.Close()
				t.Fatal("New on an old schema: no error")
			}
			for _, want := range []string{fmt.Sprintf(c.missing, table), "drop", "another table"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("New on an old schema: %v; want it to say %q", err, want)
				}
			}
			var functions int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_proc WHERE proname LIKE $1`, table+"%").Scan(&functions); err != nil || functions != 0 {
				t.Errorf("%d functions made on an old schema (%v), want none", functions, err)
			}
			if _, err := pool.Exec(ctx, dropSQL(table)); err != nil {
				t.Fatal(err)
			}
			s = newStoreOn(t, pool, table)
			if d, err := s.Take(ctx, "k", mustRates(t, ratelimit.PerHour(1)), 1); err != nil || !d.Allowed {
				t.Fatalf("Take on the new tables = %v, %v; want allowed", d, err)
			}
		})
	}
}
