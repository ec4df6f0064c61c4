package core_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// TestGCRAManyRates holds a take against more rates than gcraDecide keeps
// its results for to the rates taken one at a time: an admitted take moves
// each rate's state exactly as a take against that rate alone would.
func TestGCRAManyRates(t *testing.T) {
	var rates ratelimit.Rates
	for i := range int64(6) {
		rates = append(rates, ratelimit.Rate{Limit: 3 + 2*i, Interval: time.Duration(i+1) * 100 * time.Millisecond})
	}
	r := rand.New(rand.NewPCG(1, 2))
	all := core.State{Algorithm: ratelimit.GCRA}
	alone := make([]core.State, len(rates))
	for i := range alone {
		alone[i] = core.State{Algorithm: ratelimit.GCRA}
	}
	now, admitted := int64(0), 0
	for step := range 5000 {
		now += r.Int64N(40)
		n := r.Int64N(4)
		var d ratelimit.Decision
		if err := all.Decide(&d, rates, now, n, true); err != nil {
			t.Fatal(err)
		}
		if !d.Allowed {
			continue
		}
		admitted++
		for i := range rates {
			var one ratelimit.Decision
			if err := alone[i].Decide(&one, rates[i:i+1], now, n, true); err != nil {
				t.Fatal(err)
			}
			if !one.Allowed {
				t.Fatalf("step %d: %v alone denies %d at %d, which all the rates admitted", step, rates[i], n, now)
			}
			if all.GCRA[i] != alone[i].GCRA[0] {
				t.Fatalf("step %d: rate %v is at %+v, alone at %+v", step, rates[i], all.GCRA[i], alone[i].GCRA[0])
			}
		}
	}
	if admitted < 1000 {
		t.Fatalf("%d takes admitted, too few to test", admitted)
	}
}
