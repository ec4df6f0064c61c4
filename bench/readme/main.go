// Command readme runs the benchmarks of package bench and writes their
// medians into the README's performance section, dated and with the
// machine they ran on, so that every number there comes from one run of
// one command:
//
//	cd bench && go run ./readme
//
// It runs go test -bench over the benchmarks of every section (see
// sections) -count times, takes each measurement's median, and replaces
// the README's text between the lines "<!-- bench:begin -->" and
// "<!-- bench:end -->" with one table per section: a row per shape, a
// column per implementation (a benchmark's impl= element), a cell per
// median ns/op, followed by the benchmark's own metrics. The servers the
// Redis and PostgreSQL benchmarks need must be up (see the README).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

func main() {
	count := flag.Int("count", 6, "runs of each benchmark; the README shows their median")
	readme := flag.String("readme", "../README.md", "the README to rewrite")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime")
	flag.Parse()
	if err := run(*readme, *count, *benchtime); err != nil {
		fmt.Fprintln(os.Stderr, "readme:", err)
		os.Exit(1)
	}
}

func run(readme string, count int, benchtime string) error {
	old, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	args := []string{"test", "-run", "^$", "-bench", benchPattern(), "-benchtime", benchtime, "-count", fmt.Sprint(count), "."}
	fmt.Fprintln(os.Stderr, "go", strings.Join(args, " "))
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		os.Stderr.Write(out.Bytes())
		return fmt.Errorf("go test: %w", err)
	}
	res := parse(out.String())
	m := machine{
		date:  time.Now().UTC().Format("2006-01-02"),
		os:    runtime.GOOS + "/" + runtime.GOARCH,
		cpus:  runtime.NumCPU(),
		cpu:   res.cpu,
		goVer: runtime.Version(),
		count: count,
	}
	updated, err := replace(string(old), render(res, m))
	if err != nil {
		return err
	}
	return os.WriteFile(readme, []byte(updated), 0o644)
}
