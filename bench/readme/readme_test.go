package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
cpu: Some CPU @ 2GHz
BenchmarkOneKeyOneRate/impl=ratelimit-2    	16000000	        70.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkOneKeyOneRate/impl=ratelimit-2    	16000000	        74.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkOneKeyOneRate/impl=ratelimit-2    	16000000	        90.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkOneKeyOneRate/impl=go-limiter-2   	16000000	        52.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkRedisHammered32/impl=ratelimit-2  	 7827588	       582.2 ns/op	       100.0 local-denials-%	         0.0002685 roundtrips/op	       0 B/op	       0 allocs/op
BenchmarkRedisHammered32/impl=redis_rate-2 	   43687	     52194 ns/op	     727 B/op	      21 allocs/op
BenchmarkPostgresParallel-2                	   10000	   1234567 ns/op
PASS
`

// TestRender: medians per cell, a row per shape, a column per impl, the
// benchmark's own metrics and allocations in the cell, the machine line.
func TestRender(t *testing.T) {
	got := render(parse(sample), machine{date: "2026-12-05", os: "linux/amd64", cpu: "Some CPU @ 2GHz", goVer: "go1.26", cpus: 2, count: 3})
	for _, want := range []string{
		"Measured 2026-12-05 on linux/amd64, 2 cores (Some CPU @ 2GHz), go1.26: medians of 3 runs, by `cd bench && go run ./readme`.\n",
		"| shape | ratelimit | go-limiter |\n|---|---|---|\n| OneKeyOneRate | 74.0 ns | 52.0 ns |\n",
		"| RedisHammered32 | 582.2 ns (100 local-denials-%, 0.0002685 roundtrips/op) | 52.2 µs (21 allocs) |\n",
		"| PostgresParallel | 1.23 ms |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("render lacks %q; got\n%s", want, got)
		}
	}
}

// TestReplace: only the text between the markers changes; no markers is an
// error.
func TestReplace(t *testing.T) {
	got, err := replace("a\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nb\n", "new\n")
	if want := "a\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\nb\n"; err != nil || got != want {
		t.Fatalf("replace = %q, %v; want %q", got, err, want)
	}
	if _, err := replace("no markers", "x"); err == nil {
		t.Fatal("replace without markers: no error")
	}
}

// TestPattern: the -bench pattern selects every section's benchmarks.
func TestPattern(t *testing.T) {
	if got, want := benchPattern(), "^(Benchmark(OneKey|Weight5|10kKeys)|BenchmarkRedis|BenchmarkPostgres|Benchmark(HTTP|Fiber)|BenchmarkGRPC|BenchmarkObserver)"; got != want {
		t.Fatalf("benchPattern() = %q, want %q", got, want)
	}
}
