//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mainEnv makes the test binary run the program instead of the tests: the
// tests start it as the real processes the comment describes, and fiber's
// prefork starts its children from the same binary, arguments and
// environment.
const mainEnv = "RATELIMIT_FIBER_EXAMPLE_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// instance is one run of the program.
type instance struct {
	cmd  *exec.Cmd
	addr string
	path string // the store file it printed
	done chan error
	// stderr is what the program and its children wrote there, to read
	// once done has sent.
	stderr strings.Builder
}

// start runs the program on a free loopback port with args and returns once
// it has printed its store file and accepts connections. The program and
// its children are killed at t's cleanup if still running.
func start(t *testing.T, args ...string) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], append([]string{"-addr", addr}, args...)...)
	// A race-enabled binary sleeps a second before it exits, unless told.
	cmd.Env = append(os.Environ(), mainEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	in := &instance{cmd: cmd, addr: addr, done: make(chan error, 1)}
	cmd.Stderr = io.MultiWriter(os.Stderr, &in.stderr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-in.done
	})
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if _, p, ok := strings.Cut(lines.Text(), "shared through "); ok {
			in.path = p
			break
		}
	}
	go func() {
		io.Copy(io.Discard, out)
		in.done <- cmd.Wait()
	}()
	if in.path == "" {
		t.Fatal("the program printed no store file")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing accepts on %s", addr)
		}
	}
	return in
}

// client sends each request on a connection of its own, as curl in a
// shell loop does.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// statuses sends n requests of method for path and returns their statuses.
func (in *instance) statuses(t *testing.T, method, path string, n int) []int {
	t.Helper()
	var got []int
	for range n {
		req, err := http.NewRequestWithContext(t.Context(), method, "http://"+in.addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		got = append(got, res.StatusCode)
	}
	return got
}

// stop sends SIGTERM to the first process and waits for the program to
// exit, and for its store's directory to be gone.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.cmd.Process.Signal(syscall.SIGTERM)
	if err := in.exited(t); err != nil {
		t.Errorf("the program exited with %v", err)
	}
}

// exited waits up to 10s for the program and every child of it to exit
// (done sends once nothing holds its stdout open), checks that its store's
// directory is gone, and returns how it exited.
func (in *instance) exited(t *testing.T) error {
	t.Helper()
	var err error
	select {
	case err = <-in.done:
		in.done <- err // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("the program did not stop within 10s")
	}
	if _, err := os.Stat(filepath.Dir(in.path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after exit, the store's directory %s: %v, want it removed", filepath.Dir(in.path), err)
	}
	return err
}

// TestTwoRuns runs the program twice at once, in prefork mode, as the
// comment says: the 6th and 7th of 7 requests are denied whichever process
// answers; each run has a store file of its own, which its exit removes
// without touching the other's.
func TestTwoRuns(t *testing.T) {
	a := start(t)
	b := start(t, "-prefork=false")
	if a.path == b.path {
		t.Fatalf("both runs use the store file %s", a.path)
	}
	if got := fmt.Sprint(a.statuses(t, "GET", "/", 7)); got != "[200 200 200 200 200 429 429]" {
		t.Errorf("prefork run: statuses %s, want five 200s and two 429s", got)
	}
	a.stop(t)
	if got := fmt.Sprint(b.statuses(t, "GET", "/", 6)); got != "[200 200 200 200 200 429]" {
		t.Errorf("second run, after the first stopped: statuses %v, want five 200s and a 429", got)
	}
	b.stop(t)
}

// TestRoutes holds the comment's per-route limits: POST /login allows 2 a
// minute whichever prefork processes answer, through the shared store
// file, and GET /search, in one process, 1 a second.
func TestRoutes(t *testing.T) {
	a := start(t)
	if got := fmt.Sprint(a.statuses(t, "POST", "/login", 3)); got != "[200 200 429]" {
		t.Errorf("prefork run, POST /login: statuses %s, want two 200s and a 429", got)
	}
	a.stop(t)
	b := start(t, "-prefork=false")
	if got := fmt.Sprint(b.statuses(t, "GET", "/search", 2)); got != "[200 429]" {
		t.Errorf("one process, GET /search: statuses %s, want a 200 and a 429", got)
	}
	b.stop(t)
}

// TestChildDies kills a prefork child, as the comment says may happen: the
// others stop, and the program exits with status 1, printing how the child
// ended, its store's directory removed.
func TestChildDies(t *testing.T) {
	in := start(t)
	res, err := client.Get("http://" + in.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	var pid int
	if _, err2 := fmt.Sscanf(string(body), "hello from pid %d", &pid); err != nil || err2 != nil {
		t.Fatalf("body %q (%v, %v), want one naming the child's pid", body, err, err2)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	var ee *exec.ExitError
	if err := in.exited(t); !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("the program exited with %v, want exit status 1", err)
	}
	if !strings.Contains(in.stderr.String(), "signal: killed") {
		t.Errorf("the program printed %q, want it to name the child's fate", in.stderr.String())
	}
}
