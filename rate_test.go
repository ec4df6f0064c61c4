package ratelimit_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// wantErrIs fails t unless err wraps target and its text contains every one
// of mentions.
func wantErrIs(t *testing.T, err, target error, mentions ...string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v does not wrap %v", err, target)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not mention %q", err, m)
		}
	}
}

func TestRateValidate(t *testing.T) {
	tests := []struct {
		name    string
		rate    ratelimit.Rate
		mention string // "" for a valid rate
	}{
		{"per second", ratelimit.PerSecond(10), ""},
		{"per minute", ratelimit.PerMinute(100), ""},
		{"per hour", ratelimit.PerHour(1), ""},
		{"per day", ratelimit.PerDay(3), ""},
		{"whole millis", per(1, 1500*time.Millisecond), ""},
		{"one milli", per(1, time.Millisecond), ""},
		{"zero limit", ratelimit.Rate{Limit: 0, Interval: time.Second}, "limit 0"},
		{"negative limit", ratelimit.Rate{Limit: -5, Interval: time.Second}, "limit -5"},
		{"zero interval", ratelimit.Rate{Limit: 1}, "interval 0s"},
		{"negative interval", ratelimit.Rate{Limit: 1, Interval: -time.Second}, "interval -1s"},
		{"sub-millisecond interval", ratelimit.Rate{Limit: 1, Interval: 500 * time.Microsecond}, "500µs"},
		{"fractional millis", ratelimit.Rate{Limit: 1, Interval: 1500 * time.Microsecond}, "1.5ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ratelimit.NewRates(tt.rate)
			if tt.mention == "" {
				if err != nil {
					t.Fatalf("NewRates(%#v) = %v, want nil", tt.rate, err)
				}
				return
			}
			wantErrIs(t, err, ratelimit.ErrInvalidRate, tt.mention)
		})
	}
}

func TestRateString(t *testing.T) {
	tests := []struct {
		rate ratelimit.Rate
		want string
	}{
		{ratelimit.PerSecond(10), "10/s"},
		{ratelimit.PerMinute(100), "100/min"},
		{per(5, 2*time.Second), "5/2s"},
		{ratelimit.PerHour(1000), "1000/h"},
		{ratelimit.PerDay(3), "3/d"},
		{per(7, 1500*time.Millisecond), "7/1500ms"},
		{per(1, 90*time.Second), "1/90s"},
		{per(2, 7*24*time.Hour), "2/7d"},
		{per(1, time.Millisecond), "1/ms"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.rate.String(); got != tt.want {
				t.Errorf("%#v.String() = %q, want %q", tt.rate, got, tt.want)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want ratelimit.Rate
	}{
		{"100/min", ratelimit.PerMinute(100)},
		{"5/2s", per(5, 2*time.Second)},
		{"10/s", ratelimit.PerSecond(10)},
		{"1000/h", ratelimit.PerHour(1000)},
		{"1/1.5s", per(1, 1500*time.Millisecond)},
		{"3/day", ratelimit.PerDay(3)},
		{"7/1m30s", per(7, 90*time.Second)},
		{" 10 / s ", ratelimit.PerSecond(10)},
		{"2/week", per(2, 7*24*time.Hour)},
		{"3/d", ratelimit.PerDay(3)},
		{"7/1500ms", per(7, 1500*time.Millisecond)},
		{"4/Hours", ratelimit.PerHour(4)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ratelimit.ParseRate(tt.in)
			if err != nil {
				t.Fatalf("ParseRate(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseRate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRateInvalid(t *testing.T) {
	for _, in := range []string{
		"", "10", "x/s", "10/", "10/parsec", "0/s", "-1/s", "5/0s", "5/-2s", "1/0.5ms",
	} {
		t.Run(strconv.Quote(in), func(t *testing.T) {
			r, err := ratelimit.ParseRate(in)
			if err == nil {
				t.Fatalf("ParseRate(%q) = %v, want an error", in, r)
			}
			wantErrIs(t, err, ratelimit.ErrInvalidRate, strconv.Quote(in))
			if r != (ratelimit.Rate{}) {
				t.Errorf("ParseRate(%q) returned %#v with its error, want the zero Rate", in, r)
			}
		})
	}
}

func TestParseRateRoundTrip(t *testing.T) {
	for _, r := range []ratelimit.Rate{
		ratelimit.PerSecond(10),
		ratelimit.PerMinute(100),
		ratelimit.PerHour(1000),
		ratelimit.PerDay(3),
		per(5, 2*time.Second),
		per(7, 1500*time.Millisecond),
		per(1, 90*time.Second),
		per(2, 7*24*time.Hour),
		per(1, time.Millisecond),
		per(1<<62, 36*time.Hour),
		per(1, 20*365*24*time.Hour+time.Millisecond), // "1/630720000001ms": float64 parsing lost the ms
		per(3, ratelimit.MaxInterval-time.Millisecond),
		per(1, ratelimit.MaxInterval),
	} {
		t.Run(r.String(), func(t *testing.T) {
			got, err := ratelimit.ParseRate(r.String())
			if err != nil {
				t.Fatalf("ParseRate(%q): %v", r.String(), err)
			}
			if got != r {
				t.Errorf("ParseRate(%q) = %#v, want %#v", r.String(), got, r)
			}
		})
	}
}

// ms returns rates made of (limit, interval in milliseconds) pairs.
func ms(pairs ...[2]int64) []ratelimit.Rate {
	rs := make([]ratelimit.Rate, len(pairs))
	for i, p := range pairs {
		rs[i] = per(p[0], time.Duration(p[1])*time.Millisecond)
	}
	return rs
}

func TestNewRatesEmpty(t *testing.T) {
	rs, err := ratelimit.NewRates()
	if err == nil {
		t.Fatalf("NewRates() = %v, want an error", rs)
	}
	wantErrIs(t, err, ratelimit.ErrInvalidRate, "empty")
}

// TestNewRatesValidation is PyrateLimiter's rate-list validation table.
func TestNewRatesValidation(t *testing.T) {
	tests := []struct {
		name  string
		rates []ratelimit.Rate
		ok    bool
	}{
		{"single", ms([2]int64{1, 1}), true},
		{"same interval, falling limit", ms([2]int64{2, 1}, [2]int64{1, 1}), false},
		{"same interval, rising limit", ms([2]int64{1, 1}, [2]int64{2, 1}), false},
		{"equal density", ms([2]int64{1, 1}, [2]int64{2, 2}), true},
		{"falling limit", ms([2]int64{2, 1}, [2]int64{1, 2}), false},
		{"falling density", ms([2]int64{2, 1}, [2]int64{3, 2}), true},
		{"unsorted duplicate interval", ms([2]int64{1, 1}, [2]int64{3, 2}, [2]int64{4, 1}), false},
		{"three rates", ms([2]int64{2, 1}, [2]int64{3, 2}, [2]int64{4, 3}), true},
		{"rising density", ms([2]int64{1, 1}, [2]int64{3, 2}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := ratelimit.NewRates(tt.rates...)
			if tt.ok {
				if err != nil {
					t.Fatalf("NewRates(%v): %v", tt.rates, err)
				}
				if !slices.Equal(rs, tt.rates) {
					t.Errorf("NewRates(%v) = %v, want the same list", tt.rates, rs)
				}
				return
			}
			if err == nil {
				t.Fatalf("NewRates(%v) = %v, want an error", tt.rates, rs)
			}
			wantErrIs(t, err, ratelimit.ErrInvalidRate)
			if rs != nil {
				t.Errorf("NewRates(%v) returned %v with its error, want nil", tt.rates, rs)
			}
		})
	}
}

func TestNewRatesBadSingleRate(t *testing.T) {
	_, err := ratelimit.NewRates(ratelimit.PerSecond(10), ratelimit.PerHour(0))
	wantErrIs(t, err, ratelimit.ErrInvalidRate, "limit 0")
}

func TestNewRatesSortsWithoutModifyingInput(t *testing.T) {
	in := []ratelimit.Rate{ratelimit.PerDay(10000), ratelimit.PerSecond(10), ratelimit.PerHour(1000)}
	orig := slices.Clone(in)
	rs, err := ratelimit.NewRates(in...)
	if err != nil {
		t.Fatalf("NewRates(%v): %v", in, err)
	}
	want := ratelimit.Rates{ratelimit.PerSecond(10), ratelimit.PerHour(1000), ratelimit.PerDay(10000)}
	if !slices.Equal(rs, want) {
		t.Errorf("NewRates(%v) = %v, want %v", in, rs, want)
	}
	if !slices.Equal(in, orig) {
		t.Errorf("NewRates modified its input: %v, was %v", in, orig)
	}
	if rs.Smallest() != ratelimit.PerSecond(10) || rs.Largest() != ratelimit.PerDay(10000) {
		t.Errorf("Smallest, Largest = %v, %v; want 10/s, 10000/d", rs.Smallest(), rs.Largest())
	}
	// The result does not share the input's backing array.
	rs[0] = ratelimit.PerSecond(1)
	if !slices.Equal(in, orig) {
		t.Errorf("NewRates result aliases its input: %v, was %v", in, orig)
	}
}

func TestNewRatesNamesOffendingPair(t *testing.T) {
	_, err := ratelimit.NewRates(ratelimit.PerMinute(3), ratelimit.PerDay(1))
	wantErrIs(t, err, ratelimit.ErrInvalidRate, "3/min", "1/d")

	_, err = ratelimit.NewRates(ratelimit.PerSecond(10), per(1000, time.Minute))
	wantErrIs(t, err, ratelimit.ErrInvalidRate, "10/s", "1000/min")
}

func TestNewRatesEqualDensity(t *testing.T) {
	rates := []ratelimit.Rate{ratelimit.PerSecond(10), ratelimit.PerMinute(600), ratelimit.PerHour(36000)}
	if _, err := ratelimit.NewRates(rates...); err != nil {
		t.Errorf("NewRates(%v): %v, want equal densities allowed", rates, err)
	}
}

func TestParseRates(t *testing.T) {
	want := ratelimit.Rates{ratelimit.PerSecond(10), ratelimit.PerHour(1000)}
	for _, in := range []string{"10/s, 1000/h", "10/s;1000/h", "1000/h; 10/s", " 10/s , 1000 / hour "} {
		t.Run(in, func(t *testing.T) {
			got, err := ratelimit.ParseRates(in)
			if err != nil {
				t.Fatalf("ParseRates(%q): %v", in, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("ParseRates(%q) = %v, want %v", in, got, want)
			}
		})
	}
}

func TestParseRatesInvalid(t *testing.T) {
	tests := []struct {
		in       string
		sentinel error
		mention  string
	}{
		{"", ratelimit.ErrInvalidRate, "empty"},
		{"10/s, x/h", ratelimit.ErrInvalidRate, "x/h"},
		{"10/s; 5/min", ratelimit.ErrInvalidRate, "5/min"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			rs, err := ratelimit.ParseRates(tt.in)
			if err == nil {
				t.Fatalf("ParseRates(%q) = %v, want an error", tt.in, rs)
			}
			wantErrIs(t, err, tt.sentinel, tt.mention)
		})
	}
}

func TestRatesString(t *testing.T) {
	rs, err := ratelimit.NewRates(ratelimit.PerHour(1000), ratelimit.PerSecond(10), ratelimit.PerDay(10000))
	if err != nil {
		t.Fatal(err)
	}
	const want = "10/s, 1000/h, 10000/d"
	if got := rs.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	back, err := ratelimit.ParseRates(rs.String())
	if err != nil {
		t.Fatalf("ParseRates(%q): %v", rs.String(), err)
	}
	if !slices.Equal(back, rs) {
		t.Errorf("ParseRates(%q) = %v, want %v", rs.String(), back, rs)
	}
}

func per(n int64, interval time.Duration) ratelimit.Rate {
	return ratelimit.Rate{Limit: n, Interval: interval}
}

func TestMaxIntervalValidate(t *testing.T) {
	if _, err := ratelimit.NewRates(per(1, ratelimit.MaxInterval)); err != nil {
		t.Fatalf("NewRates(1/MaxInterval) = %v, want nil", err)
	}
	for _, d := range []time.Duration{ratelimit.MaxInterval + time.Millisecond, 60_000 * 24 * time.Hour, 106751 * 24 * time.Hour} {
		_, err := ratelimit.NewRates(per(1, d))
		wantErrIs(t, err, ratelimit.ErrInvalidRate, "36500d")
	}
}
