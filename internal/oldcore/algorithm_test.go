package ratelimit_test

import (
	"slices"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
)

// refLog is the suite's reference log: one sorted timestamp per unit.
type refLog = *ratelimittest.ReferenceLog

// newRefLog returns a log of the given unit timestamps.
func newRefLog(ts ...int64) refLog {
	l := &ratelimittest.ReferenceLog{}
	for _, t := range ts {
		l.Insert("", t, 1)
	}
	return l
}

// now is the time the algorithm cases are judged at: far from 0, so no
// window reaches below zero.
const now int64 = 100_000

// pyrateRates is PyrateLimiter's RATES of its algorithm tests.
func pyrateRates(t *testing.T) ratelimit.Rates {
	t.Helper()
	rs, err := ratelimit.NewRates(ratelimit.Per(3, time.Second), ratelimit.Per(5, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// logWithCounts returns a log in which, at now, recent units are inside the
// 1s window and older more are inside the 5s window only, all at distinct
// timestamps.
func logWithCounts(recent, older int) refLog {
	var ts []int64
	for i := range recent {
		ts = append(ts, now-900+int64(i)*100) // now-900, now-800, ...
	}
	for i := range older {
		ts = append(ts, now-4500+int64(i)*500) // now-4500, now-4000, ...
	}
	return newRefLog(ts...)
}

func decide(rates ratelimit.Rates, log ratelimit.WindowLog, at, weight int64) ratelimit.Decision {
	return ratelimit.SlidingWindowLog{}.Decide(rates, ratelimit.Item{Name: "k", Time: at, Weight: weight}, log)
}

// TestSlidingWindowLogPyrateTable is PyrateLimiter's table: counts are the
// units inside each rate's window. A count for the 5s window below the 1s
// window's (the seed mocks them separately) is realized as equal, since the
// longer window holds the shorter.
func TestSlidingWindowLogPyrateTable(t *testing.T) {
	rates := pyrateRates(t)
	tests := []struct {
		name     string
		counts   [2]int
		weight   int64
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
			before := slices.Clone(log.Units)
			d := decide(rates, log, now, tt.weight)
			if d.Allowed != tt.allowed {
				t.Fatalf("Allowed = %v, want %v (decision %+v)", d.Allowed, tt.allowed, d)
			}
			if !slices.Equal(log.Units, before) {
				t.Errorf("Decide changed the log: %v, was %v", log.Units, before)
			}
			if d.Time != now {
				t.Errorf("Time = %d, want %d", d.Time, now)
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
			if d2 := decide(rates, log, at, tt.weight); !d2.Allowed {
				t.Errorf("at +%v: denied (%+v), want allowed", d.RetryAfter, d2)
			}
			if d2 := decide(rates, log, at-1, tt.weight); d2.Allowed {
				t.Errorf("at +%v - 1ms: allowed, want denied", d.RetryAfter)
			}
		})
	}
}

func TestSlidingWindowLogRetryAfter(t *testing.T) {
	one, err := ratelimit.NewRates(ratelimit.Per(3, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	rates := pyrateRates(t)
	tests := []struct {
		name     string
		rates    ratelimit.Rates
		log      refLog
		at       int64
		weight   int64
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
			d := decide(tt.rates, tt.log, tt.at, tt.weight)
			if d.Allowed {
				t.Fatalf("allowed (%+v), want denied", d)
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

func TestSlidingWindowLogWindowEdge(t *testing.T) {
	rates, err := ratelimit.NewRates(ratelimit.Per(3, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	log := newRefLog(0, 300, 600)
	for _, tt := range []struct {
		at      int64
		allowed bool
	}{{999, false}, {1000, false}, {1001, true}} {
		if d := decide(rates, log, tt.at, 1); d.Allowed != tt.allowed {
			t.Errorf("at %d: Allowed = %v, want %v", tt.at, d.Allowed, tt.allowed)
		}
	}
}

func TestSlidingWindowLogWeightAboveLimit(t *testing.T) {
	rates := pyrateRates(t)
	for _, tt := range []struct {
		name string
		log  refLog
	}{
		{"empty log", newRefLog()},
		{"busy log", logWithCounts(2, 2)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(rates, tt.log, now, 4)
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

func TestSlidingWindowLogAllowed(t *testing.T) {
	rates := pyrateRates(t)
	tests := []struct {
		name      string
		log       refLog
		weight    int64
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
			d := decide(rates, tt.log, now, tt.weight)
			want := ratelimit.Decision{Allowed: true, Rate: tt.rate, Remaining: tt.remaining, ResetAfter: tt.reset, Time: now}
			if d != want {
				t.Errorf("Decide = %+v, want %+v", d, want)
			}
		})
	}
}

func TestSlidingWindowLogDeniedRemaining(t *testing.T) {
	rates := pyrateRates(t)
	tests := []struct {
		name      string
		log       refLog
		weight    int64
		remaining int64
	}{
		{"one left, weight 2", logWithCounts(2, 0), 2, 1},
		{"none left", logWithCounts(3, 0), 1, 0},
		{"weight above limit", newRefLog(), 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(rates, tt.log, now, tt.weight)
			if d.Allowed {
				t.Fatalf("allowed (%+v), want denied", d)
			}
			if d.Remaining != tt.remaining {
				t.Errorf("Remaining = %d, want %d", d.Remaining, tt.remaining)
			}
		})
	}
}

// fits reports whether weight more units fit every rate at ts over log, by
// brute force.
func fits(rates ratelimit.Rates, log refLog, ts, weight int64) bool {
	for _, r := range rates {
		in := int64(0)
		for _, u := range log.Units {
			if u >= ts-r.IntervalMillis() {
				in++
			}
		}
		if in+weight > r.Limit {
			return false
		}
	}
	return true
}

// TestSlidingWindowLogSimulation checks the zero SlidingWindowLog against a
// brute-force reading of the rule over a stream of puts: admission, and a
// retry-after that is exactly the first time the weight fits.
func TestSlidingWindowLogSimulation(t *testing.T) {
	rates := pyrateRates(t)
	var alg ratelimit.SlidingWindowLog
	log := newRefLog()
	for ts := int64(0); ts < 12_000; ts += 137 {
		for _, w := range []int64{1, 2} {
			d := alg.Decide(rates, ratelimit.Item{Time: ts, Weight: w}, log)
			if want := fits(rates, log, ts, w); d.Allowed != want {
				t.Fatalf("at %d weight %d: Allowed = %v, want %v (log %v)", ts, w, d.Allowed, want, log.Units)
			}
			if d.Allowed {
				log.Insert("", ts, w)
				continue
			}
			retry := d.RetryAfter.Milliseconds()
			if !fits(rates, log, ts+retry, w) || fits(rates, log, ts+retry-1, w) {
				t.Fatalf("at %d weight %d: RetryAfter %v is not the first time it fits (log %v)", ts, w, d.RetryAfter, log.Units)
			}
		}
	}
	if len(log.Units) == 0 {
		t.Fatal("nothing admitted")
	}
}
