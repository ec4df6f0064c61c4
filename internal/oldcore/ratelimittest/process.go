package ratelimittest

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"testing"
)

// Child is a helper process: the running test binary executed again to run
// one test (by convention TestHelperProcess) that reads its job from the
// environment. The protocol is line-based: the child prints "ready" once set
// up, waits for a line on its stdin ([Child.Start]), does its job and prints
// what it wants the parent to read on its stdout.
type Child struct {
	Cmd   *exec.Cmd
	Lines <-chan string // the child's stdout after "ready", line by line; closed at EOF
	stdin io.WriteCloser
}

// StartChildren starts n children running only the test named test, with env
// added to their environment, and returns once every one has printed
// "ready". They inherit stderr, and are killed and waited for at cleanup.
// Cross-process tests of stores use it: several processes sharing one file,
// table or server.
func StartChildren(tb testing.TB, n int, test string, env ...string) []*Child {
	tb.Helper()
	children := make([]*Child, n)
	for i := range children {
		cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), env...)
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
		children[i] = &Child{Cmd: cmd, Lines: lines, stdin: stdin}
	}
	for i, c := range children {
		if line, ok := <-c.Lines; !ok || line != "ready" {
			tb.Fatalf("child %d: got %q, want ready", i, line)
		}
	}
	return children
}

// Start tells the child to begin its job.
func (c *Child) Start(tb testing.TB) {
	tb.Helper()
	if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
		tb.Fatal(err)
	}
}
