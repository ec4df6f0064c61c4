package sqlitestore

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// TestStateEncoding drives random states through the core and checks that
// a row's encoding round-trips, and that one of the wrong length (a store
// with other rates on the table) is refused.
func TestStateEncoding(t *testing.T) {
	rs, err := ratelimit.NewRates(ratelimit.Per(3, 70*time.Millisecond), ratelimit.Per(7, time.Second), ratelimit.Per(20, 7*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []algorithm{algGCRA, algCounter} {
		var c constState
		c.init(alg, len(rs))
		rng := rand.New(rand.NewPCG(1, uint64(alg)))
		now := int64(1_000_000)
		for step := range 3000 {
			now += rng.Int64N(400)
			var d ratelimit.Decision
			c.DecideInto(&d, rs, now, 1+rng.Int64N(3))
			var back constState
			back.init(alg, len(rs))
			if err := back.decode(c.encode()); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(back.GCRA, c.GCRA) || !slices.Equal(back.Counter, c.Counter) {
				t.Fatalf("alg %d step %d: state %+v does not round-trip: %+v", alg, step, c.KeyState, back.KeyState)
			}
		}
		if err := c.decode(make([]byte, c.size()+8)); err == nil {
			t.Fatalf("alg %d: decoding a state of the wrong length succeeded", alg)
		}
	}
}

// TestStateQueryPlans checks that no statement of the state table scans it.
func TestStateQueryPlans(t *testing.T) {
	for _, a := range []ratelimit.Algorithm{ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter} {
		s, err := Open(Memory, []ratelimit.Rate{ratelimit.PerSecond(5), ratelimit.PerMinute(50)}, WithSweepInterval(0), WithAlgorithm(a))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, tt := range []struct {
			name, query string
			args        int
		}{
			{"get", s.q.stateGet, 1}, {"set", s.q.stateSet, 3}, {"flush", s.q.stateFlush, 1},
			{"leakName", s.q.stateLeakName, 2}, {"leakAll", s.q.stateLeakAll, 2},
		} {
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
