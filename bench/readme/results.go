package main

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results are the measurements of one go test -bench run.
type results struct {
	cpu string
	// samples holds each benchmark's values per unit, in the order the
	// runs printed them; names keeps the benchmarks in order of first
	// appearance.
	samples map[string]map[string][]float64
	units   map[string][]string // each benchmark's units, in order
	names   []string
}

// procs is the -GOMAXPROCS suffix go test appends to a benchmark's name.
var procs = regexp.MustCompile(`-\d+$`)

// parse reads go test -bench output: "cpu: …" and lines of a name, an
// iteration count, and value-unit pairs.
func parse(out string) results {
	r := results{samples: map[string]map[string][]float64{}, units: map[string][]string{}}
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if cpu, ok := strings.CutPrefix(line, "cpu: "); ok {
			r.cpu = strings.TrimSpace(cpu)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		name := procs.ReplaceAllString(f[0], "")
		if r.samples[name] == nil {
			r.samples[name] = map[string][]float64{}
			r.names = append(r.names, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			unit := f[i+1]
			if r.samples[name][unit] == nil {
				r.units[name] = append(r.units[name], unit)
			}
			r.samples[name][unit] = append(r.samples[name][unit], v)
		}
	}
	return r
}

// median returns the median of name's values in unit, and whether it has
// any.
func (r results) median(name, unit string) (float64, bool) {
	vs := slices.Clone(r.samples[name][unit])
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2, true
	}
	return vs[len(vs)/2], true
}
