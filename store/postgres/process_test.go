package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// The cross-process tests re-execute the test binary as child processes
// (TestHelperProcess) that share one table. A child reads its job from the
// environment, connects, prints "ready", waits for a line on stdin, then
// either runs Migrate (helperMode "migrate") or acquires one unit at a time
// under one name for helperRun, printing "admitted <Decision.Time>" for each
// admitted unit and "last <Decision.Time>" for its last decision. It ends
// with "done".
const (
	helperEnv  = "PGSTORE_TEST_HELPER" // the table; set only in a child
	helperMode = "PGSTORE_TEST_MODE"   // "migrate" or "hammer"
	helperRate = "PGSTORE_TEST_RATE"   // e.g. "50/s"
	helperRun  = "PGSTORE_TEST_RUN"    // e.g. "3s"
	helperAlg  = "PGSTORE_TEST_ALG"    // the algorithm; empty: the log
)

func TestHelperProcess(t *testing.T) {
	table := os.Getenv(helperEnv)
	if table == "" {
		t.Skip("runs only as a child of the cross-process tests")
	}
	if err := runHelper(table); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runHelper(table string) error {
	rates, err := ratelimit.ParseRates(os.Getenv(helperRate))
	if err != nil {
		return err
	}
	run, _ := time.ParseDuration(os.Getenv(helperRun))
	ctx := context.Background()
	pool, err := connect(ctx, "pgstore-test-child", 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	s, err := pgstore.New(pool, rates, pgstore.WithTable(table), pgstore.WithSweepInterval(0),
		pgstore.WithAlgorithm(ratelimit.Algorithm(os.Getenv(helperAlg))))
	if err != nil {
		return err
	}
	defer s.Close()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	fmt.Fprintln(out, "ready")
	out.Flush()
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	if os.Getenv(helperMode) == "migrate" {
		if err := s.Migrate(ctx); err != nil {
			return err
		}
		fmt.Fprintln(out, "done")
		return nil
	}
	var last int64
	for start := time.Now(); time.Since(start) < run; {
		d, err := s.Acquire(ctx, "hot", 1)
		if err != nil {
			return err
		}
		if d.Allowed {
			fmt.Fprintln(out, "admitted", d.Time)
		}
		last = d.Time
	}
	fmt.Fprintln(out, "last", last)
	fmt.Fprintln(out, "done")
	return nil
}

// child is a running helper process.
type child struct{ *ratelimittest.Child }

// startChildren starts n helpers on table with env (the job), and returns
// once all of them are ready.
func startChildren(tb testing.TB, n int, table string, env ...string) []child {
	tb.Helper()
	var children []child
	for _, c := range ratelimittest.StartChildren(tb, n, "TestHelperProcess", append(env, helperEnv+"="+table)...) {
		children = append(children, child{c})
	}
	return children
}

// collect reads the child's output to the end and returns its admitted
// timestamps, its last decision's time, and whether it printed done.
func (c child) collect() (admitted []int64, last int64, done bool) {
	for line := range c.Lines {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		var v int64
		if len(fields) > 1 {
			v, _ = strconv.ParseInt(fields[1], 10, 64)
		}
		switch fields[0] {
		case "admitted":
			admitted = append(admitted, v)
		case "last":
			last = v
		case "done":
			done = true
		}
	}
	return admitted, last, done
}
