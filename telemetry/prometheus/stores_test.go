package promlimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gorate/ratelimit"
)

var errDown = errors.New("store down")

// failing is a store whose every take fails after taking d of the clock.
type failing struct{ d time.Duration }

func (s failing) Take(context.Context, string, ratelimit.Rates, int64) (ratelimit.Decision, error) {
	time.Sleep(s.d)
	return ratelimit.Decision{}, errDown
}

// slow is a store that is not Local: it takes d of the clock, then asks s.
type slow struct {
	s ratelimit.Store
	d time.Duration
}

func (s slow) Take(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	time.Sleep(s.d)
	return s.s.Take(ctx, key, rates, n)
}

// allowAll is a Local store that admits every take, decided by the
// smallest rate, and keeps nothing: it lets a test push many keys through a
// limiter fast.
type allowAll struct{}

func (allowAll) Take(_ context.Context, _ string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
	r := rates.Smallest()
	return ratelimit.Decision{Allowed: true, Rate: r, Remaining: r.Limit - n}, nil
}

func (allowAll) Local() {}

// sum returns the sum of the values of the counters of family name in g.
func sum(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var s float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				s += m.GetCounter().GetValue()
			}
		}
	}
	return s
}
