package ratelimit_test

import (
	"slices"
	"testing"

	"github.com/gorate/ratelimit"
)

// FuzzParseRate checks that ParseRate never panics, that what it accepts is
// valid, and that every accepted rate's String parses back to the same rate.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{
		"10/s", "100/min", "5/2s", "1/1.5s", "7/1m30s", "2/week", "1/630720000001ms",
		"1/36500d", "1/106751d", "1/0.5ms", "9223372036854775807/ms", " 3 / Hours ", "1/.5s", "1/1.s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ratelimit.ParseRate(s)
		if err != nil {
			return
		}
		if _, err := ratelimit.NewRates(r); err != nil {
			t.Fatalf("ParseRate(%q) = %#v, which is invalid: %v", s, r, err)
		}
		back, err := ratelimit.ParseRate(r.String())
		if err != nil {
			t.Fatalf("ParseRate(%q) = %#v, whose String %q does not parse: %v", s, r, r.String(), err)
		}
		if back != r {
			t.Fatalf("ParseRate(%q) = %#v; its String %q parses to %#v", s, r, r.String(), back)
		}
	})
}

// FuzzParseRates checks the same of lists: no panic, and every accepted
// list's String parses back to the same list.
func FuzzParseRates(f *testing.F) {
	for _, s := range []string{
		"10/s, 1000/h", "10/s; 100/min; 1000/h", "1/s,1/s", "3/s, 2/min", "5/2s,1/1.5s", ",,", "1/36500d, 2/1ms",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ratelimit.ParseRates(s)
		if err != nil {
			return
		}
		back, err := ratelimit.ParseRates(rs.String())
		if err != nil {
			t.Fatalf("ParseRates(%q) = %v, whose String does not parse: %v", s, rs, err)
		}
		if !slices.Equal(back, rs) {
			t.Fatalf("ParseRates(%q) = %v; its String parses to %v", s, rs, back)
		}
	})
}
