package core_test

import (
	"fmt"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// stamps is a key's log for the example: the time of each admitted unit,
// oldest first.
type stamps []int64

func (s stamps) CountSince(_ int, since int64) (n int64) {
	for _, ts := range s {
		if ts >= since {
			n++
		}
	}
	return n
}

func (s stamps) NthNewest(k int64) (int64, bool) {
	if k >= int64(len(s)) {
		return 0, false
	}
	return s[len(s)-1-int(k)], true
}

// A store keeps a log per key and lets DecideLog judge each take inside its
// atomic step; it stores the units itself when the take is allowed.
func ExampleDecideLog() {
	rates, err := ratelimit.ParseRates("3/s")
	if err != nil {
		fmt.Println(err)
		return
	}
	var log stamps
	for _, now := range []int64{0, 300, 600, 600, 1000, 1001} {
		var d ratelimit.Decision
		core.DecideLog(&d, rates, now, 1, log)
		if d.Allowed {
			log = append(log, now)
		}
		fmt.Printf("at %4d ms: %v\n", now, d)
	}
	// Output:
	// at    0 ms: allowed by 3/s: 2 left, reset in 1.001s
	// at  300 ms: allowed by 3/s: 1 left, reset in 1.001s
	// at  600 ms: allowed by 3/s: 0 left, reset in 1.001s
	// at  600 ms: denied by 3/s: 0 left, retry in 401ms, reset in 1.001s
	// at 1000 ms: denied by 3/s: 0 left, retry in 1ms, reset in 601ms
	// at 1001 ms: allowed by 3/s: 0 left, reset in 1.001s
}

// A State is one key's GCRA or counter state; a store loads it, decides,
// and saves it. When the key's rates change, the units it owes carry over.
func ExampleState() {
	perMin := func(n int64) ratelimit.Rates { return ratelimit.Rates{ratelimit.PerMinute(n)} }
	s := core.State{Algorithm: ratelimit.GCRA}
	for _, take := range []struct {
		rates ratelimit.Rates
		now   int64
		n     int64
	}{
		{perMin(10), 0, 5},     // half the burst
		{perMin(5), 1000, 1},   // lowered: the 5 units owed fill it
		{perMin(20), 2000, 15}, // raised: the rest of 20 fits
		{perMin(20), 2000, 1},
	} {
		var d ratelimit.Decision
		if err := s.Decide(&d, take.rates, take.now, take.n, true); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d at %d ms: %v\n", take.n, take.now, d)
	}
	fmt.Printf("idle from %d ms\n", s.IdleAt())
	// Output:
	// 5 at 0 ms: allowed by 10/min: 5 left, reset in 30s
	// 1 at 1000 ms: denied by 5/min: 0 left, retry in 12s, reset in 1m0s
	// 15 at 2000 ms: allowed by 20/min: 0 left, reset in 1m0s
	// 1 at 2000 ms: denied by 20/min: 0 left, retry in 3s, reset in 1m0s
	// idle from 62000 ms
}
