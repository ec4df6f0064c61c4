package httplimit

import (
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// TestAppendName checks that a policy name is the rate's String form,
// quoted, for every unit of interval.
func TestAppendName(t *testing.T) {
	for _, r := range []ratelimit.Rate{
		ratelimit.PerSecond(10), ratelimit.PerMinute(100), ratelimit.PerHour(1000), ratelimit.PerDay(3),
		{Limit: 5, Interval: 2 * time.Second}, {Limit: 7, Interval: 1500 * time.Millisecond},
		{Limit: 2, Interval: 90 * time.Second}, {Limit: 4, Interval: 36 * time.Hour}, {Limit: 4, Interval: 48 * time.Hour},
		{Limit: 1 << 62, Interval: time.Millisecond},
	} {
		if got, want := string(appendName(nil, r)), `"`+r.String()+`"`; got != want {
			t.Errorf("appendName(%v) = %s, want %s", r, got, want)
		}
	}
}
