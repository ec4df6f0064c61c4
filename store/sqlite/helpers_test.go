package sqlitestore_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// algorithms are the algorithms the store offers.
var algorithms = []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter}

// openStore opens a Store on path that the test closes at its end.
func openStore(tb testing.TB, path string, opts ...sqlitestore.Option) *sqlitestore.Store {
	tb.Helper()
	s, err := sqlitestore.Open(path, opts...)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// mustRates returns the valid list of rs, or fails the test.
func mustRates(tb testing.TB, rs ...ratelimit.Rate) ratelimit.Rates {
	tb.Helper()
	list, err := ratelimit.NewRates(rs...)
	if err != nil {
		tb.Fatal(err)
	}
	return list
}

func per(n int64, d time.Duration) ratelimit.Rate { return ratelimit.Rate{Limit: n, Interval: d} }

// child is a helper process: the running test binary executed again to run
// TestHelperProcess, which reads its job from the environment. It prints
// "ready" once set up, waits for a line on its stdin (start), does its job
// and prints what the parent reads, line by line, from lines.
type child struct {
	cmd   *exec.Cmd
	lines <-chan string // the child's stdout after "ready"; closed at EOF
	stdin io.WriteCloser
}

// startChildren starts n helpers on path with env (the job) added to their
// environment, and returns once every one has printed "ready". They
// inherit stderr, and are killed and waited for at cleanup.
func startChildren(tb testing.TB, n int, path string, env ...string) []*child {
	tb.Helper()
	children := make([]*child, n)
	for i := range children {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(append(os.Environ(), env...), helperEnv+"="+path)
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
