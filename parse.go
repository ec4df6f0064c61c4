package ratelimit

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// unitOf returns the length of an interval unit ParseRate accepts.
func unitOf(name string) (time.Duration, bool) {
	switch strings.ToLower(name) {
	case "ms", "millisecond", "milliseconds":
		return time.Millisecond, true
	case "s", "sec", "second", "seconds":
		return time.Second, true
	case "m", "min", "minute", "minutes":
		return time.Minute, true
	case "h", "hr", "hour", "hours":
		return time.Hour, true
	case "d", "day", "days":
		return 24 * time.Hour, true
	case "w", "week", "weeks":
		return 7 * 24 * time.Hour, true
	}
	return 0, false
}

// ParseRate parses a rate written as "<limit>/<interval>", where the interval is
// an optional count and a unit ("100/min", "5/2s", "10/s", "1000/h", "1/1.5s",
// "3/day") or any [time.ParseDuration] string ("7/1m30s"). Units: ms, s, sec,
// second, m, min, minute, h, hr, hour, d, day, w, week (plurals too).
//
// The error wraps [ErrInvalidRate] and quotes the input.
func ParseRate(s string) (Rate, error) {
	limitPart, intervalPart, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("%w: %q is not of the form <limit>/<interval>, e.g. \"100/min\"", ErrInvalidRate, s)
	}
	limit, err := strconv.ParseInt(strings.TrimSpace(limitPart), 10, 64)
	if err != nil {
		return Rate{}, fmt.Errorf("%w: limit %q in %q is not a whole number", ErrInvalidRate, strings.TrimSpace(limitPart), s)
	}
	interval, err := parseInterval(strings.TrimSpace(intervalPart))
	if err != nil {
		return Rate{}, fmt.Errorf("%w: interval in %q: %v", ErrInvalidRate, s, err)
	}
	r := Rate{Limit: limit, Interval: interval}
	if err := r.validate(); err != nil {
		return Rate{}, fmt.Errorf("%w (parsing %q)", err, s)
	}
	return r, nil
}

func parseInterval(s string) (time.Duration, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		return 0, fmt.Errorf("%q has no unit", s)
	}
	unit, ok := unitOf(strings.TrimSpace(s[i:]))
	if !ok {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("unknown unit in %q", s)
		}
		return d, nil
	}
	if i == 0 {
		return unit, nil
	}
	// In integers, exactly: a float64 count loses whole milliseconds of
	// intervals longer than a few years, so that String would not round-trip.
	n, ok := new(big.Rat).SetString(s[:i])
	if !ok || n.Sign() <= 0 {
		return 0, fmt.Errorf("count %q is not a positive number", s[:i])
	}
	n.Mul(n, new(big.Rat).SetInt64(int64(unit)))
	if !n.IsInt() || !n.Num().IsInt64() {
		return 0, fmt.Errorf("%q is not a whole number of nanoseconds that fits a time.Duration", s)
	}
	return time.Duration(n.Num().Int64()), nil
}

// ParseRates parses a comma- or semicolon-separated list of rates, such as
// "10/s, 1000/h", and validates it as [NewRates] does.
func ParseRates(s string) (Rates, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
	rates := make([]Rate, 0, len(fields))
	for _, f := range fields {
		r, err := ParseRate(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		rates = append(rates, r)
	}
	return NewRates(rates...)
}
