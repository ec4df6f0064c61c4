package fallback

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

func rate(l int64, d time.Duration) ratelimit.Rate { return ratelimit.Rate{Limit: l, Interval: d} }

func TestDivide(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        ratelimit.Rates
		instances int
		want      ratelimit.Rates
	}{
		{"one instance", ratelimit.Rates{rate(10, time.Second)}, 1, ratelimit.Rates{rate(10, time.Second)}},
		{"rounded down", ratelimit.Rates{rate(10, time.Second)}, 3, ratelimit.Rates{rate(3, time.Second)}},
		{"at least 1", ratelimit.Rates{rate(2, time.Second)}, 5, ratelimit.Rates{rate(1, time.Second)}},
		{"each rate", ratelimit.Rates{rate(10, time.Second), rate(100, time.Minute)}, 4, ratelimit.Rates{rate(2, time.Second), rate(25, time.Minute)}},
		// 1/s and 1/min: the minute's 1 holds the second's.
		{"equal shares", ratelimit.Rates{rate(2, time.Second), rate(3, time.Minute)}, 2, ratelimit.Rates{rate(1, time.Minute)}},
		// 3/s and 100/40s over 2: 1/s and 50/40s, denser than 1/s; lowered
		// to 40/40s.
		{"denser share lowered", ratelimit.Rates{rate(3, time.Second), rate(100, 40*time.Second)}, 2, ratelimit.Rates{rate(1, time.Second), rate(40, 40*time.Second)}},
		{"invalid list as given", ratelimit.Rates{rate(0, time.Second)}, 2, ratelimit.Rates{rate(0, time.Second)}},
		{"empty", nil, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := divide(tc.in, tc.instances); !slices.Equal(got, tc.want) {
				t.Errorf("divide(%v, %d) = %v, want %v", tc.in, tc.instances, got, tc.want)
			}
		})
	}
}

// For random valid lists, the share is a valid list that holds every rate
// to its share, max(1, floor(L/instances)) per interval (a rate of the
// share with an interval at least as long and a limit at most the share),
// and raises no limit.
func TestDivideProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	valid := 0
	for range 20000 {
		var in ratelimit.Rates
		limit, interval := int64(1+r.IntN(50)), time.Duration(1+r.IntN(2000))*time.Millisecond
		for range 1 + r.IntN(4) {
			in = append(in, rate(limit, interval))
			f := 2 + r.IntN(60)
			interval *= time.Duration(f)
			limit += 1 + r.Int64N(limit*int64(f)-limit)
		}
		in, err := ratelimit.NewRates(in...)
		if err != nil {
			continue
		}
		valid++
		k := 1 + r.IntN(10)
		out := divide(in, k)
		if _, err := ratelimit.NewRates(out...); err != nil {
			t.Fatalf("divide(%v, %d) = %v: %v", in, k, out, err)
		}
		for _, rt := range in {
			share := max(1, rt.Limit/int64(k))
			if !slices.ContainsFunc(out, func(o ratelimit.Rate) bool { return o.Interval >= rt.Interval && o.Limit <= share }) {
				t.Fatalf("divide(%v, %d) = %v does not hold %v to %d", in, k, out, rt, share)
			}
		}
		for _, o := range out {
			i := slices.IndexFunc(in, func(rt ratelimit.Rate) bool { return rt.Interval == o.Interval })
			if i < 0 || o.Limit > max(1, in[i].Limit/int64(k)) {
				t.Fatalf("divide(%v, %d) = %v: %v is no share of a rate", in, k, out, o)
			}
		}
	}
	if valid < 19000 {
		t.Errorf("only %d of 20000 lists valid", valid)
	}
}

// A Store keeps the share of each list it saw, up to its cap, and gives the
// same slice for equal lists.
func TestSharesCached(t *testing.T) {
	d := divisions{instances: 2}
	a := mustRates(t, ratelimit.PerSecond(10))
	first := d.of(a)
	if again := d.of(mustRates(t, ratelimit.PerSecond(10))); &again[0] != &first[0] {
		t.Error("an equal list got a new share")
	}
	if n := testing.AllocsPerRun(100, func() { d.of(a) }); n != 0 {
		t.Errorf("a cached share costs %v allocations", n)
	}
	for i := range 2 * maxDivisions {
		rs := mustRates(t, ratelimit.PerSecond(int64(20+i)))
		if got := d.of(rs); got[0].Limit != int64(10+i/2) {
			t.Fatalf("share of %v = %v", rs, got)
		}
	}
	if n := len(*d.table.Load()); n != maxDivisions {
		t.Errorf("%d shares kept, want the cap %d", n, maxDivisions)
	}
	one := divisions{instances: 1}
	if got := one.of(a); &got[0] != &a[0] {
		t.Error("one instance: the share is not the list itself")
	}
}
