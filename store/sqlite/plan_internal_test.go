package sqlitestore

import (
	"strings"
	"testing"

	"github.com/gorate/ratelimit"
)

// TestQueryPlans checks that no statement of any algorithm scans its table:
// each reaches its rows through the primary key or an index, so its cost
// does not grow with the table.
func TestQueryPlans(t *testing.T) {
	type statement struct {
		name, query string
		args        int
	}
	for _, a := range []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		s, err := Open(Memory, WithAlgorithm(a))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		q := &s.q
		tests := []statement{{"reset", q.reset, 1}, {"sweep", q.sweep, 2},
			{"block get", q.blockGet, 1}, {"block set", q.blockSet, 6}, {"block reset", q.blockReset, 1}, {"block sweep", q.blockSweep, 2}}
		if s.alg == algLog {
			window, err := q.window(3)
			if err != nil {
				t.Fatal(err)
			}
			tests = append(tests, statement{"window", window, 4}, statement{"nth", q.nth, 2}, statement{"extend", q.extend, 3})
		} else {
			tests = append(tests, statement{"get", q.get, 1}, statement{"set", q.set, 3})
		}
		for _, tt := range tests {
			args := make([]any, tt.args)
			for i := range args {
				args[i] = 1
			}
			rows, err := s.sess.conn.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tt.query, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			t.Logf("%s %s:\n\t%s", a, tt.name, strings.Join(plan, "\n\t"))
			for _, p := range plan {
				if strings.HasPrefix(p, "SCAN ") && p != "SCAN CONSTANT ROW" {
					t.Errorf("%s %s scans: %q", a, tt.name, p)
				}
			}
		}
	}
}
