package core_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// refLog is the plainest window log: one timestamp per unit, sorted.
type refLog []int64

var _ core.WindowLog = (*refLog)(nil)

// CountSince returns the number of units stamped at or after since.
func (l *refLog) CountSince(_ int, since int64) int64 {
	i, _ := slices.BinarySearch(*l, since)
	return int64(len(*l) - i)
}

// NthNewest returns the timestamp of the k-th newest unit.
func (l *refLog) NthNewest(k int64) (int64, bool) {
	if k < 0 || k >= int64(len(*l)) {
		return 0, false
	}
	return (*l)[int64(len(*l))-1-k], true
}

// insert stores n units at ts, after any stamped at ts.
func (l *refLog) insert(ts, n int64) {
	i, _ := slices.BinarySearch(*l, ts+1)
	*l = slices.Insert(*l, i, slices.Repeat([]int64{ts}, int(n))...)
}

// newRefLog returns a log of the given unit timestamps.
func newRefLog(ts ...int64) *refLog {
	l := &refLog{}
	for _, t := range ts {
		l.insert(t, 1)
	}
	return l
}

// now is the time the log cases are judged at: far from 0, so no window
// reaches below zero.
const now int64 = 100_000

func per(n int64, d time.Duration) ratelimit.Rate { return ratelimit.Rate{Limit: n, Interval: d} }

// rates returns the valid list of rs, failing t if it is not one.
func rates(t testing.TB, rs ...ratelimit.Rate) ratelimit.Rates {
	t.Helper()
	l, err := ratelimit.NewRates(rs...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// pyrateRates is the two-rate list of the log tables: 3/s and 5/5s.
func pyrateRates(t *testing.T) ratelimit.Rates {
	t.Helper()
	return rates(t, per(3, time.Second), per(5, 5*time.Second))
}

// logWithCounts returns a log in which, at now, recent units are inside the
// 1s window and older more are inside the 5s window only, all at distinct
// timestamps.
func logWithCounts(recent, older int) *refLog {
	var ts []int64
	for i := range recent {
		ts = append(ts, now-900+int64(i)*100) // now-900, now-800, ...
	}
	for i := range older {
		ts = append(ts, now-4500+int64(i)*500) // now-4500, now-4000, ...
	}
	slices.Sort(ts)
	return newRefLog(ts...)
}

func decideLog(rates ratelimit.Rates, log *refLog, at, n int64) (d ratelimit.Decision) {
	core.DecideLog(&d, rates, at, n, log)
	return d
}

// TestDecideLogTable: counts are the units inside each rate's window. A
// count for the 5s window below the 1s window's is realized as equal, since
// the longer window holds the shorter.
func TestDecideLogTable(t *testing.T) {
	rates := pyrateRates(t)
	tests := []struct {
		name     string
		counts   [2]int
		n        int64
		allowed  bool
		failRate int // index of the failing rate when denied
	}{
		{"empty", [2]int{0, 0}, 1, true, 0},
		{"room in both", [2]int{2, 4}, 1, true, 0},
		{"first full", [2]int{3, 0}, 1, false, 0},
		{"second full", [2]int{0, 5}, 1, false, 1},
		{"weight 1 fits", [2]int{2, 0}, 1, true, 0},
		{"weight 2 does not fit", [2]int{2, 0}, 2, false, 0},
		{"both full", [2]int{3, 5}, 1, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recent := tt.counts[0]
			log := logWithCounts(recent, max(tt.counts[1]-recent, 0))
			before := slices.Clone(*log)
			d := decideLog(rates, log, now, tt.n)
			if d.Allowed != tt.allowed {
				t.Fatalf("Allowed = %v, want %v (decision %v)", d.Allowed, tt.allowed, d)
			}
			if !slices.Equal(*log, before) {
				t.Errorf("DecideLog changed the log: %v, was %v", *log, before)
			}
			if tt.allowed {
				if d.RetryAfter != 0 {
					t.Errorf("RetryAfter = %v on an allowed decision, want 0", d.RetryAfter)
				}
				return
			}
			if d.Rate != rates[tt.failRate] {
				t.Errorf("Rate = %v, want the failing rate %v", d.Rate, rates[tt.failRate])
			}
			if d.RetryAfter <= 0 || d.RetryAfter == ratelimit.Never {
				t.Errorf("RetryAfter = %v, want a finite positive wait", d.RetryAfter)
			}
			// Waiting RetryAfter is enough, and one millisecond less is not.
			at := now + d.RetryAfter.Milliseconds()
			if d2 := decideLog(rates, log, at, tt.n); !d2.Allowed {
				t.Errorf("at +%v: denied (%v), want allowed", d.RetryAfter, d2)
			}
			if d2 := decideLog(rates, log, at-1, tt.n); d2.Allowed {
				t.Errorf("at +%v - 1ms: allowed, want denied", d.RetryAfter)
			}
		})
	}
}

func TestDecideLogRetryAfter(t *testing.T) {
	one := rates(t, per(3, time.Second))
	rates := pyrateRates(t)
	tests := []struct {
		name     string
		rates    ratelimit.Rates
		log      *refLog
		at       int64
		n        int64
		want     time.Duration
		wantRate ratelimit.Rate
	}{
		{"weight 1", one, newRefLog(0, 300, 600), 600, 1, 401 * time.Millisecond, one[0]},
		{"weight 2", one, newRefLog(0, 300, 600), 600, 2, 701 * time.Millisecond, one[0]},
		{"weight 3", one, newRefLog(0, 300, 600), 600, 3, 1001 * time.Millisecond, one[0]},
		{"inclusive edge", one, newRefLog(0, 300, 600), 1000, 1, time.Millisecond, one[0]},
		{"units after now count", one, newRefLog(0, 300, 600), 200, 1, 801 * time.Millisecond, one[0]},
		{"merged units", one, newRefLog(500, 500, 500), 700, 1, 801 * time.Millisecond, one[0]},
		// Both rates deny: the wait is the longer of the two, reported
		// against the first denying rate.
		{"largest over denying rates", rates, logWithCounts(3, 2), now, 1, 501 * time.Millisecond, rates[0]},
		{"second rate only", rates, logWithCounts(0, 5), now, 1, 501 * time.Millisecond, rates[1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decideLog(tt.rates, tt.log, tt.at, tt.n)
			if d.Allowed {
				t.Fatalf("allowed (%v), want denied", d)
			}
			if d.RetryAfter != tt.want {
				t.Errorf("RetryAfter = %v, want %v", d.RetryAfter, tt.want)
			}
			if d.Rate != tt.wantRate {
				t.Errorf("Rate = %v, want %v", d.Rate, tt.wantRate)
			}
		})
	}
}

func TestDecideLogWindowEdge(t *testing.T) {
	rates := rates(t, per(3, time.Second))
	log := newRefLog(0, 300, 600)
	for _, tt := range []struct {
		at      int64
		allowed bool
	}{{999, false}, {1000, false}, {1001, true}} {
		if d := decideLog(rates, log, tt.at, 1); d.Allowed != tt.allowed {
			t.Errorf("at %d: Allowed = %v, want %v", tt.at, d.Allowed, tt.allowed)
		}
	}
}

func TestDecideLogWeightAboveLimit(t *testing.T) {
	rates := pyrateRates(t)
	for _, tt := range []struct {
		name string
		log  *refLog
	}{
		{"empty log", newRefLog()},
		{"busy log", logWithCounts(2, 2)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := decideLog(rates, tt.log, now, 4)
			if d.Allowed {
				t.Fatalf("weight 4 over %v allowed, want denied", rates)
			}
			if d.RetryAfter != ratelimit.Never {
				t.Errorf("RetryAfter = %v, want Never", d.RetryAfter)
			}
			if d.Rate != rates[0] {
				t.Errorf("Rate = %v, want the smallest rate %v", d.Rate, rates[0])
			}
		})
	}
}

func TestDecideLogAllowed(t *testing.T) {
	rates := pyrateRates(t)
	tests := []struct {
		name      string
		log       *refLog
		n         int64
		rate      ratelimit.Rate
		remaining int64
		reset     time.Duration
	}{
		// Empty: the 1s rate is the tightest (2 left against 4).
		{"empty", newRefLog(), 1, rates[0], 2, 1001 * time.Millisecond},
		{"empty weight 3", newRefLog(), 3, rates[0], 0, 1001 * time.Millisecond},
		// A tie (0 left in each) reports the shorter rate.
		{"tie", logWithCounts(2, 2), 1, rates[0], 0, 1001 * time.Millisecond},
		// Four older units: the 5s rate is the tightest.
		{"long rate tightest", logWithCounts(0, 4), 1, rates[1], 0, 5001 * time.Millisecond},
		{"tie with one left", logWithCounts(1, 2), 1, rates[0], 1, 1001 * time.Millisecond},
		// Weight 0 stores nothing: the reset is the newest stored unit's.
		{"weight 0 empty", newRefLog(), 0, rates[0], 3, 0},
		{"weight 0 busy", logWithCounts(2, 0), 0, rates[0], 1, 201 * time.Millisecond},
		{"weight 0 full", logWithCounts(3, 2), 0, rates[0], 0, 301 * time.Millisecond},
		// A unit stamped after now stays the newest.
		{"newer unit", newRefLog(now + 50), 1, rates[0], 1, 1051 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decideLog(rates, tt.log, now, tt.n)
			want := ratelimit.Decision{Allowed: true, Rate: tt.rate, Remaining: tt.remaining, ResetAfter: tt.reset, At: now}
			if d != want {
				t.Errorf("DecideLog = %+v, want %+v", d, want)
			}
		})
	}
}

func TestDecideLogDeniedRemaining(t *testing.T) {
	rates := pyrateRates(t)
	tests := []struct {
		name      string
		log       *refLog
		n         int64
		remaining int64
	}{
		{"one left, weight 2", logWithCounts(2, 0), 2, 1},
		{"none left", logWithCounts(3, 0), 1, 0},
		{"weight above limit", newRefLog(), 4, 3},
		// More units than the limit (the limit was lowered): none left.
		{"over the limit", logWithCounts(3, 4), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decideLog(rates, tt.log, now, tt.n)
			if d.Allowed {
				t.Fatalf("allowed (%v), want denied", d)
			}
			if d.Remaining != tt.remaining {
				t.Errorf("Remaining = %d, want %d", d.Remaining, tt.remaining)
			}
		})
	}
}

// fits reports whether n more units fit every rate at ts over log, by brute
// force.
func fits(rates ratelimit.Rates, log *refLog, ts, n int64) bool {
	for _, r := range rates {
		in := int64(0)
		for _, u := range *log {
			if u >= ts-r.IntervalMillis() {
				in++
			}
		}
		if in+n > r.Limit {
			return false
		}
	}
	return true
}

// TestDecideLogSimulation checks DecideLog against a brute-force reading of
// the rule over a stream of takes: admission, and a retry-after that is
// exactly the first time the weight fits.
func TestDecideLogSimulation(t *testing.T) {
	rates := pyrateRates(t)
	log := newRefLog()
	for ts := int64(0); ts < 12_000; ts += 137 {
		for _, n := range []int64{1, 2} {
			d := decideLog(rates, log, ts, n)
			if want := fits(rates, log, ts, n); d.Allowed != want {
				t.Fatalf("at %d weight %d: Allowed = %v, want %v (log %v)", ts, n, d.Allowed, want, *log)
			}
			if d.Allowed {
				log.insert(ts, n)
				continue
			}
			retry := d.RetryAfter.Milliseconds()
			if !fits(rates, log, ts+retry, n) || fits(rates, log, ts+retry-1, n) {
				t.Fatalf("at %d weight %d: RetryAfter %v is not the first time it fits (log %v)", ts, n, d.RetryAfter, *log)
			}
		}
	}
	if len(*log) == 0 {
		t.Fatal("nothing admitted")
	}
}
