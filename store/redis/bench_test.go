package redisstore_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	redisstore "github.com/gorate/ratelimit/store/redis"
	"github.com/redis/go-redis/v9"
)

// benchRates are the benchmarks' rate lists: one rate, and three (a second,
// a minute and an hour, limit × interval within 2^53 as GCRA and the
// counter require), each admitting every take.
var benchRates = []struct {
	name  string
	rates ratelimit.Rates
}{
	{"rates=1", ratelimit.Rates{ratelimit.PerSecond(1 << 40)}},
	{"rates=3", ratelimit.Rates{ratelimit.PerSecond(1 << 29), ratelimit.PerMinute(1 << 30), ratelimit.PerHour(1 << 31)}},
}

// benchStores runs fn for each algorithm and rate list with a store on the
// server at REDIS_URL, through a client whose pool holds 64 connections.
func benchStores(b *testing.B, fn func(b *testing.B, s *redisstore.Store, rates ratelimit.Rates)) {
	c := newClient(b)
	opt := *c.Options()
	opt.PoolSize = 64
	c = redis.NewClient(&opt)
	b.Cleanup(func() { c.Close() })
	for _, alg := range algorithms {
		for _, rs := range benchRates {
			b.Run("alg="+string(alg)+"/"+rs.name, func(b *testing.B) {
				s := newStore(b, c, redisstore.WithAlgorithm(alg))
				b.ReportAllocs()
				fn(b, s, rs.rates)
			})
		}
	}
}

// BenchmarkTake times one take after another: a round trip each.
func BenchmarkTake(b *testing.B) {
	benchStores(b, func(b *testing.B, s *redisstore.Store, rates ratelimit.Rates) {
		for b.Loop() {
			if _, err := s.Take(b.Context(), "key", rates, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTakeParallel32 times takes of one key from 32 goroutines.
func BenchmarkTakeParallel32(b *testing.B) {
	benchStores(b, func(b *testing.B, s *redisstore.Store, rates ratelimit.Rates) {
		ctx := b.Context()
		b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Take(ctx, "key", rates, 1); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkTakeBlocking times one TakeBlocking after another of a key its
// rates admit: Take's round trip, with the key's block state read.
func BenchmarkTakeBlocking(b *testing.B) {
	block := ratelimit.Block{For: time.Minute}
	benchStores(b, func(b *testing.B, s *redisstore.Store, rates ratelimit.Rates) {
		for b.Loop() {
			if _, err := s.TakeBlocking(b.Context(), "key", rates, 1, block); err != nil {
				b.Fatal(err)
			}
		}
	})
}
