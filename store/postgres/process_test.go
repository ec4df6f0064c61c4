package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// The cross-process tests re-execute the test binary as child processes
// (TestHelperProcess) that share one table. A child reads its job from the
// environment, prints "ready", waits for a line on stdin, then either runs
// New (helperMode "migrate") or takes one unit at a time under one key for
// helperRun (under a block of an hour with helperMode "block", failing on
// a denial that is not blocked), printing "admitted <ts>" for each admitted
// unit and "last <ts>" for its last decision, ts being the time the take
// was judged at. It ends with "done".
const (
	helperEnv  = "PGSTORE_TEST_HELPER" // the table; set only in a child
	helperMode = "PGSTORE_TEST_MODE"   // "migrate", "hammer" or "block"
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
	ctx := context.Background()
	pool, err := connect(ctx, "pgstore-test-child", 4, 0)
	if err != nil {
		return err
	}
	defer pool.Close()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	fmt.Fprintln(out, "ready")
	out.Flush()
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	s, err := pgstore.New(ctx, pool, pgstore.WithTable(table), pgstore.WithSweepInterval(0),
		pgstore.WithAlgorithm(ratelimit.Algorithm(os.Getenv(helperAlg))))
	if err != nil {
		return err
	}
	defer s.Close()
	if os.Getenv(helperMode) == "migrate" {
		fmt.Fprintln(out, "done")
		return nil
	}
	rates, err := ratelimit.ParseRates(os.Getenv(helperRate))
	if err != nil {
		return err
	}
	run, err := time.ParseDuration(os.Getenv(helperRun))
	if err != nil {
		return err
	}
	take := s.Take
	if os.Getenv(helperMode) == "block" {
		take = func(ctx context.Context, key string, rates ratelimit.Rates, n int64) (ratelimit.Decision, error) {
			d, err := s.TakeBlocking(ctx, key, rates, n, ratelimit.Block{For: time.Hour})
			if err == nil && !d.Allowed && !d.Blocked {
				err = fmt.Errorf("a denial that did not block: %v", d)
			}
			return d, err
		}
	}
	var last int64
	for start := time.Now(); time.Since(start) < run; {
		d, err := take(ctx, "hot", rates, 1)
		if err != nil {
			return err
		}
		if d.Allowed {
			fmt.Fprintln(out, "admitted", d.At)
		}
		last = d.At
	}
	fmt.Fprintln(out, "last", last)
	fmt.Fprintln(out, "done")
	return nil
}

// child is a running helper process.
type child struct {
	cmd   *exec.Cmd
	lines <-chan string
	stdin io.WriteCloser
}

// startChildren starts n helpers on table with env (the job), and returns
// once all of them are ready; they are killed at the end of tb if still
// running.
func startChildren(tb testing.TB, n int, table string, env ...string) []*child {
	tb.Helper()
	children := make([]*child, n)
	for i := range children {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), append(env, helperEnv+"="+table)...)
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			tb.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			tb.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		tb.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		children[i] = &child{cmd: cmd, lines: lines, stdin: stdin}
	}
	for i, c := range children {
		if line, ok := <-c.lines; !ok || line != "ready" {
			tb.Fatalf("child %d: got %q, want ready", i, line)
		}
	}
	return children
}

// start tells the child to begin its job.
func (c *child) start(tb testing.TB) {
	tb.Helper()
	if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
		tb.Fatal(err)
	}
}

// collect reads the child's output to the end, waits for it to exit, and
// returns its admitted timestamps, its last decision's time, and whether it
// printed done and exited with status 0.
func (c *child) collect() (admitted []int64, last int64, ok bool) {
	var done bool
	for line := range c.lines {
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
	return admitted, last, c.cmd.Wait() == nil && done
}
