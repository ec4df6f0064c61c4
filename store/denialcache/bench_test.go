package denialcache_test

import (
	"strconv"
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/store/denialcache"
	memorystore "github.com/gorate/ratelimit/store/memory"
)

// BenchmarkDenied times a denial answered from the cache, from one
// goroutine and from all, on one key and over 10,000 keys.
func BenchmarkDenied(b *testing.B) {
	mem, err := memorystore.New()
	if err != nil {
		b.Fatal(err)
	}
	s, err := denialcache.New(mem, denialcache.WithMaxKeys(20_000))
	if err != nil {
		b.Fatal(err)
	}
	rs, err := ratelimit.NewRates(ratelimit.PerHour(1))
	if err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
		for range 2 {
			if _, err := s.Take(b.Context(), keys[i], rs, 1); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, n := range []int{1, len(keys)} {
		b.Run("keys="+strconv.Itoa(n)+"/serial", func(b *testing.B) {
			i := 0
			for b.Loop() {
				if d, _ := s.Take(b.Context(), keys[i%n], rs, 1); d.Allowed {
					b.Fatal("allowed")
				}
				i++
			}
		})
		b.Run("keys="+strconv.Itoa(n)+"/parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if d, _ := s.Take(b.Context(), keys[i%n], rs, 1); d.Allowed {
						b.Error("allowed")
						return
					}
					i++
				}
			})
		})
	}
}
