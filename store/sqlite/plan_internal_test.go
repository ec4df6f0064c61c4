package sqlitestore

import (
	"strings"
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// TestQueryPlans checks that no statement scans the table: each reaches its
// rows through the primary key or an index, so its cost does not grow with
// the table.
func TestQueryPlans(t *testing.T) {
	s, err := Open(Memory, []ratelimit.Rate{ratelimit.PerSecond(5), ratelimit.PerMinute(50)}, WithSweepInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	tests := []struct {
		name, query string
		args        int
	}{
		{"window", s.q.window, 3}, {"nth", s.q.nth, 2}, {"position", s.q.position, 2},
		{"shiftOut", s.q.shiftOut, 3}, {"shiftBack", s.q.shiftBack, 1}, {"count", s.q.count, 2},
		{"peek", s.q.peek, 3}, {"flush", s.q.flush, 1}, {"leakName", s.q.leakName, 4}, {"leakAll", s.q.leakAll, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := make([]any, tt.args)
			for i := range args {
				args[i] = 1
			}
			rows, err := s.sess.conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tt.query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			t.Logf("%s:\n\t%s", tt.name, strings.Join(plan, "\n\t"))
			for _, p := range plan {
				if strings.HasPrefix(p, "SCAN ") && p != "SCAN CONSTANT ROW" {
					t.Errorf("%s scans: %q", tt.name, p)
				}
			}
		})
	}
}
