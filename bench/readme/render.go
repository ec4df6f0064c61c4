package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A section is one table of the README: the benchmarks whose names match.
type section struct {
	title, match, about string
}

var sections = []section{
	{"Memory store", `^Benchmark(OneKey|Weight5|10kKeys)`,
		"A limiter over the memory store against `golang.org/x/time/rate` and `sethvargo/go-limiter`'s memorystore, on the same shapes; floor times a clock read, a map lookup of the key and a compare-and-swap, deciding nothing."},
	{"Redis", `^BenchmarkRedis`,
		"Against `go-redis/redis_rate` and `ulule/limiter` on the same server, and a bare `PING`; Hammered is one key asked for 100 times its limit, ours behind `store/denialcache`."},
	{"PostgreSQL", `^BenchmarkPostgres`,
		"Takes on a local PostgreSQL at its default durability (`-async`: `pgstore.WithAsyncCommit`), 16 connections for Parallel; concurrent takes share statements, up to 64 to one (the default), but `-unbatched`'s, one take to a statement (`pgstore.WithMaxBatch(1)`)."},
	{"HTTP middleware", `^Benchmark(HTTP|Fiber)`,
		"A request through the middleware, all headers on, against a bare handler and each framework's own limiter."},
	{"gRPC interceptors", `^BenchmarkGRPC`,
		"A unary call through the server interceptor, called as the server calls it, all metadata on, against none and go-grpc-middleware's ratelimit interceptor over `golang.org/x/time/rate` (one limiter for every call, and one per peer)."},
	{"Observers", `^BenchmarkObserver`,
		"A limiter over the memory store with no observer, a no-op observer and the Prometheus observer."},
}

// benchPattern is the -bench pattern of every section's benchmarks.
func benchPattern() string {
	var alts []string
	for _, s := range sections {
		alts = append(alts, strings.TrimPrefix(s.match, "^"))
	}
	return "^(" + strings.Join(alts, "|") + ")"
}

// machine is what the README says of the run.
type machine struct {
	date, os, cpu, goVer string
	cpus, count          int
}

// render returns the README's performance tables for r.
func render(r results, m machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s, %d cores (%s), %s: medians of %d runs, by `cd bench && go run ./readme`.\n",
		m.date, m.os, m.cpus, m.cpu, m.goVer, m.count)
	for _, s := range sections {
		re := regexp.MustCompile(s.match)
		var rows, cols []string
		cells := map[[2]string]string{}
		for _, name := range r.names {
			if !re.MatchString(name) {
				continue
			}
			row, col := shape(name)
			if !slices.Contains(rows, row) {
				rows = append(rows, row)
			}
			if !slices.Contains(cols, col) {
				cols = append(cols, col)
			}
			cells[[2]string{row, col}] = cell(r, name)
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n**%s.** %s\n\n| shape |", s.title, s.about)
		for _, c := range cols {
			fmt.Fprintf(&b, " %s |", c)
		}
		b.WriteString("\n|---|" + strings.Repeat("---|", len(cols)) + "\n")
		for _, row := range rows {
			fmt.Fprintf(&b, "| %s |", row)
			for _, c := range cols {
				fmt.Fprintf(&b, " %s |", cells[[2]string{row, c}])
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// shape splits a benchmark's name into its row (the name without
// "Benchmark" and its impl= element) and its column (the impl, or "ours").
func shape(name string) (row, col string) {
	parts := strings.Split(strings.TrimPrefix(name, "Benchmark"), "/")
	col = "ours"
	var keep []string
	for _, p := range parts {
		if v, ok := strings.CutPrefix(p, "impl="); ok {
			col = v
			continue
		}
		keep = append(keep, p)
	}
	return strings.Join(keep, "/"), col
}

// cell formats name's median time, its allocations when it has any, and
// its own metrics.
func cell(r results, name string) string {
	ns, ok := r.median(name, "ns/op")
	if !ok {
		return ""
	}
	s := duration(ns)
	var extra []string
	if a, ok := r.median(name, "allocs/op"); ok && a > 0 {
		extra = append(extra, strconv.FormatFloat(a, 'f', -1, 64)+" allocs")
	}
	for _, u := range r.units[name] {
		switch u {
		case "ns/op", "B/op", "allocs/op", "MB/s":
			continue
		}
		v, _ := r.median(name, u)
		extra = append(extra, strconv.FormatFloat(v, 'g', 4, 64)+" "+u)
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// duration formats ns nanoseconds with three significant digits or so.
func duration(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.1f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
}

const begin, end = "<!-- bench:begin -->\n", "<!-- bench:end -->"

// replace returns readme with the text between its markers replaced by
// tables.
func replace(readme, tables string) (string, error) {
	i := strings.Index(readme, begin)
	j := strings.Index(readme, end)
	if i < 0 || j < i {
		return "", errors.New("the README has no " + strings.TrimSpace(begin) + " … " + end + " lines")
	}
	return readme[:i+len(begin)] + tables + readme[j:], nil
}
