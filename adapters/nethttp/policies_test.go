package httplimit

import (
	"sync"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// TestPolicies checks that a policy cache returns each rate's own policy
// when far more rates than it has slots are asked for, from several
// goroutines at once, and keeps a rate asked for again.
func TestPolicies(t *testing.T) {
	var pc policies
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				r := ratelimit.Rate{Limit: int64(i%50 + 1), Interval: time.Duration(i/50+g+1) * time.Second}
				p := pc.get(r)
				if want := newPolicy(r); p.rate != r || p.value != want.value || p.name() != want.name() || p.limit() != want.limit() {
					t.Errorf("policy of %v: %q (name %s, limit %s), want %q", r, p.value, p.name(), p.limit(), want.value)
					return
				}
			}
		})
	}
	wg.Wait()
	r := ratelimit.PerMinute(100)
	if p := pc.get(r); pc.get(r) != p {
		t.Errorf("a rate asked for twice got two policies")
	}
	if p := newPolicy(r); p.value != `"100/min";q=100;w=60` || p.name() != `"100/min"` || p.limit() != "100" {
		t.Errorf("policy of %v: %q (name %s, limit %s)", r, p.value, p.name(), p.limit())
	}
}
