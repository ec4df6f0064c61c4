package ratelimit

import (
	"fmt"
	"strconv"
	"time"
)

// Rate is a limit of Limit units per Interval: at any moment, the units admitted
// in the last Interval (inclusive of its lower edge) never exceed Limit.
//
// Interval must be a positive whole number of milliseconds, because every store
// keeps time in milliseconds so that all of them agree at the window edges.
// The zero value is not a valid Rate; use [PerSecond] and friends, a literal,
// or [ParseRate], and [NewRates] to check one. A Rate is also an [Option] of
// [New]: the limiter enforces it.
type Rate struct {
	Limit    int64
	Interval time.Duration
}

// PerSecond returns a Rate of n units per second.
func PerSecond(n int64) Rate { return Rate{Limit: n, Interval: time.Second} }

// PerMinute returns a Rate of n units per minute.
func PerMinute(n int64) Rate { return Rate{Limit: n, Interval: time.Minute} }

// PerHour returns a Rate of n units per hour.
func PerHour(n int64) Rate { return Rate{Limit: n, Interval: time.Hour} }

// PerDay returns a Rate of n units per 24 hours.
func PerDay(n int64) Rate { return Rate{Limit: n, Interval: 24 * time.Hour} }

// MaxInterval is the longest interval a Rate may have: 100 years of 365
// days. The algorithms report retry and reset times of up to twice an
// interval as a [time.Duration], which holds about 292 years; a longer
// interval would overflow them.
const MaxInterval = 100 * 365 * 24 * time.Hour

// validate reports whether r is usable: a positive Limit and a positive
// Interval that is a whole number of milliseconds and at most [MaxInterval].
// The error wraps [ErrInvalidRate] and names the value.
func (r Rate) validate() error {
	switch {
	case r.Limit <= 0:
		return fmt.Errorf("%w: limit %d in %s must be positive", ErrInvalidRate, r.Limit, r)
	case r.Interval <= 0:
		return fmt.Errorf("%w: interval %s in %s must be positive", ErrInvalidRate, r.Interval, r)
	case r.Interval%time.Millisecond != 0:
		return fmt.Errorf("%w: interval %s in %s is not a whole number of milliseconds", ErrInvalidRate, r.Interval, r)
	case r.Interval > MaxInterval:
		return fmt.Errorf("%w: interval of %s exceeds the maximum of %s (100 years)", ErrInvalidRate, r, formatInterval(MaxInterval))
	}
	return nil
}

// IntervalMillis returns the interval in milliseconds, the unit stores keep time in.
func (r Rate) IntervalMillis() int64 { return r.Interval.Milliseconds() }

// String returns the rate in the form [ParseRate] reads: "10/s", "100/min",
// "5/2s", "1000/h", "3/d", "7/1500ms".
func (r Rate) String() string {
	return strconv.FormatInt(r.Limit, 10) + "/" + formatInterval(r.Interval)
}

func formatInterval(d time.Duration) string {
	if d > 0 {
		for _, u := range [...]struct {
			d    time.Duration
			name string
		}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "min"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
			if d%u.d == 0 {
				if d == u.d {
					return u.name
				}
				return strconv.FormatInt(int64(d/u.d), 10) + u.name
			}
		}
	}
	return d.String()
}
