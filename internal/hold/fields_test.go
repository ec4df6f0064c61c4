package hold

import (
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		v, date string
		want    time.Duration
	}{
		{"2", "", 2 * time.Second},
		{" 120 ", "", 2 * time.Minute},
		{"0", "", 0},
		{"-1", "", 0},
		{"1.5", "", 0},
		{"", "", 0},
		{"soon", "", 0},
		{"99999999999999999999999", "", Max},
		{"86401", "", Max},
		{"Sun, 06 Dec 2026 12:00:05 GMT", "", 5 * time.Second},
		// The server's Date field, not the client's clock, measures an HTTP-date.
		{"Sun, 06 Dec 2026 12:00:05 GMT", "Sun, 06 Dec 2026 11:59:00 GMT", 65 * time.Second},
		{"Sun, 06 Dec 2026 12:00:05 GMT", "yesterday", 5 * time.Second},
		{"Sunday, 06-Dec-26 12:00:03 GMT", "", 3 * time.Second}, // RFC 850
		{"Sun Dec  6 12:00:04 2026", "", 4 * time.Second},       // asctime
		{"Sun, 06 Dec 2026 11:00:00 GMT", "", 0},
		{"Mon, 06 Dec 2027 12:00:00 GMT", "", Max},
	} {
		if got := RetryAfter(tt.v, tt.date, now); got != tt.want {
			t.Errorf("RetryAfter(%q, %q) = %v; want %v", tt.v, tt.date, got, tt.want)
		}
	}
}

func TestRateLimit(t *testing.T) {
	for _, tt := range []struct {
		values []string
		want   time.Duration
	}{
		{nil, 0},
		{[]string{`"x";r=0;t=3`}, 3 * time.Second},
		{[]string{`"x";r=1;t=3`}, 0},
		{[]string{`"x";t=3`}, 0},                                 // no r: nothing known to be used up
		{[]string{`"x";r=0`}, 0},                                 // no t: no time to wait for
		{[]string{`default;r=0;t=7`}, 7 * time.Second},           // a token name
		{[]string{`"a";r=5;t=10, "b";r=0;t=4`}, 4 * time.Second}, // the quota used up
		{[]string{`"a";r=0;t=10, "b";r=0;t=4`}, 10 * time.Second},
		{[]string{`"a";r=0;t=1`, `"b";r=0;t=2`}, 2 * time.Second}, // several fields
		{[]string{`"a,b;r=5";r=0;t=6`}, 6 * time.Second},          // a name with a comma and a ;
		{[]string{`"a\";r=5";r=0;t=8`}, 8 * time.Second},          // an escaped quote
		{[]string{` "x" ; r=0 ; t=9 `}, 9 * time.Second},
		{[]string{`"x";r=0;t=-3`}, 0},
		{[]string{`"x";r=-1;t=3`}, 0},
		{[]string{`"x";r=0;t=3.5`}, 0},
		{[]string{`"x";r=0;t=99999999999999999999`}, Max},
		{[]string{`"x";r=0;t=1;t=5`}, 5 * time.Second}, // the last parameter counts
		{[]string{`"unterminated;r=0;t=3`}, 0},
		{[]string{`,,;;==`}, 0},
	} {
		if got := RateLimit(tt.values); got != tt.want {
			t.Errorf("RateLimit(%q) = %v; want %v", tt.values, got, tt.want)
		}
	}
}

func TestSeconds(t *testing.T) {
	for v, want := range map[string]time.Duration{"3": 3 * time.Second, " 3 ": 3 * time.Second, "": 0, "x": 0, "-3": 0} {
		if got := Seconds(v); got != want {
			t.Errorf("Seconds(%q) = %v; want %v", v, got, want)
		}
	}
}

func FuzzRateLimit(f *testing.F) {
	f.Add(`"x";r=0;t=3, "y";r=1;t=9`)
	f.Fuzz(func(t *testing.T, v string) {
		if d := RateLimit([]string{v}); d < 0 || d > Max {
			t.Fatalf("RateLimit(%q) = %v; want from 0 to Max", v, d)
		}
	})
}

func TestPolicy(t *testing.T) {
	for _, tt := range []struct {
		values []string
		want   string // the rates' String, "" for nil
	}{
		{nil, ""},
		{[]string{`"default";q=100;w=60`}, "100/min"},
		{[]string{`"burst";q=10;w=1, "daily";q=1000;w=86400`}, "10/s, 1000/d"},
		{[]string{`"a";q=10;w=1`, `"b";q=100;w=60`}, "10/s, 100/min"},
		{[]string{`"x";q=100;w=60;qu="requests"`}, "100/min"},
		{[]string{`"x";q=100;w=60;qu="content-bytes"`}, ""},
		{[]string{`"x";q=100;w=60;qu="content-bytes", "y";q=5;w=1`}, "5/s"},
		{[]string{`"x";q=0;w=60`}, ""},
		{[]string{`"x";q=100;w=0`}, ""},
		{[]string{`"x";q=-1;w=60`}, ""},
		{[]string{`"x";q=100`}, ""},
		{[]string{`"x";q=100;w=9999999999999`}, ""},
		{[]string{`"a";q=100;w=1, "b";q=10;w=60`}, ""}, // not a valid list: fewer units over a longer time
	} {
		got := ""
		if rs := Policy(tt.values); rs != nil {
			got = rs.String()
		}
		if got != tt.want {
			t.Errorf("Policy(%q) = %q; want %q", tt.values, got, tt.want)
		}
	}
}
