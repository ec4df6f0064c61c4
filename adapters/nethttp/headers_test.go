package httplimit

import (
	"math"
	"net/http"
	"strconv"
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

// TestHeadersFit checks that the longest values fit a request's buffer
// under every mode, shadow included: written (Handle) and visited (Check,
// which copies the fixed values into the buffer too), they are the same.
func TestHeadersFit(t *testing.T) {
	var pc policies
	for _, limit := range []int64{math.MinInt64, -1, 1, math.MaxInt64} {
		for _, interval := range []time.Duration{math.MinInt64, -9223372036854 * time.Millisecond, -1, 0, time.Nanosecond, 9223372036854 * time.Millisecond, math.MaxInt64} {
			for _, n := range []int64{math.MinInt64, 0, math.MaxInt64} {
				d := ratelimit.Decision{Rate: ratelimit.Rate{Limit: limit, Interval: interval}, Remaining: n, RetryAfter: time.Duration(n), ResetAfter: time.Duration(n)}
				for mode := range HeadersIETF | HeadersXRateLimit | HeadersShadow + 1 {
					var h headers
					h.set(mode, &pc, &d, &d)
					h.add(fieldNoSniff, fixedNoSniff)
					hd := http.Header{}
					h.write(hd)
					h.visit(func(name string, v []byte) {
						if want := hd.Get(name); string(v) != want {
							t.Fatalf("%v, mode %d: %s visited as %s, written as %s", d, mode, name, v, want)
						}
					})
				}
			}
		}
	}
}

// TestAppendDecimal checks appendDecimal against strconv.AppendUint around
// every power of ten, after the bytes already in the buffer.
func TestAppendDecimal(t *testing.T) {
	us := []uint64{0, math.MaxUint64, math.MaxInt64}
	for p := uint64(1); p <= math.MaxUint64/10; p *= 10 {
		us = append(us, p-1, p, p+1, 10*p-1)
	}
	for _, u := range us {
		if got, want := appendDecimal([]byte("x="), u), strconv.AppendUint([]byte("x="), u, 10); string(got) != string(want) {
			t.Errorf("appendDecimal(%d) = %s, want %s", u, got, want)
		}
	}
}
