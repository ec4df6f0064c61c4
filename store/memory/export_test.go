package memorystore

import (
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// KeyCount returns the number of keys s holds, counted in its shards.
func KeyCount(s *Store) int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.size()
		sh.mu.Unlock()
	}
	if int64(n) != s.keys.Load() {
		panic("memorystore: the key count disagrees with the shards")
	}
	return n
}

// MustRates returns rates as ratelimit.NewRates makes them, failing t if it
// cannot.
func MustRates(t testing.TB, rates ...ratelimit.Rate) ratelimit.Rates {
	t.Helper()
	rs, err := ratelimit.NewRates(rates...)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// Per returns a rate of limit units per interval.
func Per(limit int64, interval time.Duration) ratelimit.Rate {
	return ratelimit.Rate{Limit: limit, Interval: interval}
}
