//go:build linux || darwin

package mpstore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
)

// Tests that need several processes run this test binary again as helpers:
// TestHelperProcess does what the MPSTORE_HELPER variable names, talking to
// the parent over its standard input and output, line by line.
const (
	envRole  = "MPSTORE_HELPER"     // what the helper does
	envPath  = "MPSTORE_PATH"       // the store file
	envRates = "MPSTORE_RATES"      // the rates, as ratelimit.ParseRates reads them
	envArg   = "MPSTORE_HELPER_ARG" // the role's argument
	envAlg   = "MPSTORE_ALGORITHM"  // the algorithm; unset means the log
)

// helper is a running helper process.
type helper struct {
	cmd    *exec.Cmd
	in     *os.File // the helper's standard input, written by the parent
	out    *bufio.Scanner
	stderr bytes.Buffer
}

// startHelper starts a helper in role on the store at path; the test kills
// it, if it is still running, when it ends.
func startHelper(t testing.TB, role, path, rates, arg string) *helper {
	t.Helper()
	h := &helper{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")}
	h.cmd.Env = append(os.Environ(), envRole+"="+role, envPath+"="+path, envRates+"="+rates, envArg+"="+arg)
	h.cmd.Stderr = &h.stderr
	stdin, err := h.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := h.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.in, _ = stdin.(*os.File)
	h.out = bufio.NewScanner(stdout)
	t.Cleanup(func() {
		stdin.Close()
		h.cmd.Process.Kill()
		h.cmd.Wait()
	})
	return h
}

// expect reads the helper's next line and fails unless it starts with want.
func (h *helper) expect(t testing.TB, want string) string {
	t.Helper()
	if !h.out.Scan() {
		t.Fatalf("helper %v: no %q line; stderr:\n%s", h.cmd.Env[len(h.cmd.Env)-4:], want, h.stderr.String())
	}
	line := h.out.Text()
	if !strings.HasPrefix(line, want) {
		t.Fatalf("helper said %q, want %q; stderr:\n%s", line, want, h.stderr.String())
	}
	return strings.TrimSpace(strings.TrimPrefix(line, want))
}

// send writes a line to the helper.
func (h *helper) send(t testing.TB, line string) {
	t.Helper()
	if _, err := fmt.Fprintln(h.in, line); err != nil {
		t.Fatal(err)
	}
}

// helperEntries is the ring length helpers open their store with: a parent
// sharing the file opens it with the same. It holds a log of any rate of
// a second.
const helperEntries = 2048

// TestHelperProcess is not a test: it is the body of the helper processes.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(envRole)
	if role == "" {
		return
	}
	err := runHelper(role, os.Getenv(envPath), os.Getenv(envRates), os.Getenv(envArg))
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runHelper(role, path, rateList, arg string) error {
	if role == "truncate" {
		// Cut the file at arg bytes, without opening it as a store.
		size, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return err
		}
		return os.Truncate(path, size)
	}
	rates, err := ratelimit.ParseRates(rateList)
	if err != nil {
		return err
	}
	clock := &recordingClock{}
	s, err := Open(path, WithAlgorithm(ratelimit.Algorithm(os.Getenv(envAlg))), WithClock(clock), WithMaxEntries(helperEntries))
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	in := bufio.NewScanner(os.Stdin)
	switch role {
	case "hammer":
		// Take one unit of "hot" in a loop from the start to the end time
		// the parent sends, printing the stamp of each admitted unit.
		fmt.Println("ready")
		var start, end int64
		if !in.Scan() {
			return fmt.Errorf("no start time")
		}
		if _, err := fmt.Sscan(in.Text(), &start, &end); err != nil {
			return err
		}
		time.Sleep(time.Until(time.UnixMilli(start)))
		for time.Now().UnixMilli() < end {
			d, err := s.Take(ctx, "hot", rates, 1)
			if err != nil {
				return err
			}
			if d.Allowed {
				fmt.Println("admitted", clock.last)
			}
		}
		fmt.Println("done")
	case "hang":
		// Take one unit of the key arg ("point key") and stop forever at
		// the crash point, holding the lock, until killed.
		var point, key string
		if _, err := fmt.Sscan(arg, &point, &key); err != nil {
			return err
		}
		crashHook = func(p string) {
			if p == point {
				fmt.Println("locked")
				time.Sleep(time.Minute) // the parent kills us long before
				os.Exit(3)
			}
		}
		s.Take(ctx, key, rates, 1)
		return fmt.Errorf("the take passed %s without stopping", point)
	case "take":
		// Take arg units of "k" once, reporting how long it took.
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return err
		}
		fmt.Println("ready")
		in.Scan()
		start := time.Now()
		d, err := s.Take(ctx, "k", rates, n)
		if err != nil {
			return err
		}
		fmt.Println("took", d.Allowed, time.Since(start).Microseconds())
	case "settle":
		// Take one unit of "hot" in a loop for arg milliseconds from the
		// start time the parent sends, refunding at once seven of every
		// eight units admitted, and print how many were admitted and
		// refunded.
		run, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return err
		}
		start, err := awaitStart(in)
		if err != nil {
			return err
		}
		admitted, refunded := 0, 0
		for time.Now().UnixMilli() < start+run {
			d, err := s.Take(ctx, "hot", rates, 1)
			if err != nil {
				return err
			}
			if !d.Allowed {
				continue
			}
			if admitted++; admitted%8 != 0 {
				if _, err := s.Refund(ctx, "hot", rates, d, 1); err != nil {
					return err
				}
				refunded++
			}
		}
		fmt.Println("settled", admitted, refunded)
	case "block":
		// Take one unit of "hot" arg times under a block of an hour, from
		// the start time the parent sends, and print how many were
		// admitted and how many blocked.
		n, err := strconv.Atoi(arg)
		if err != nil {
			return err
		}
		if _, err := awaitStart(in); err != nil {
			return err
		}
		admitted, blocked := 0, 0
		for range n {
			d, err := s.TakeBlocking(ctx, "hot", rates, 1, ratelimit.Block{For: time.Hour})
			if err != nil {
				return err
			}
			if d.Allowed {
				admitted++
			}
			if d.Blocked {
				blocked++
			}
		}
		fmt.Println("blocked", admitted, blocked)
	case "bench":
		// Take arg ("count keys") times, over that many keys, when the
		// parent says go.
		var n, keys int
		if _, err := fmt.Sscan(arg, &n, &keys); err != nil {
			return err
		}
		names := make([]string, keys)
		for i := range names {
			names[i] = "key-" + strconv.Itoa(i)
		}
		fmt.Println("ready")
		in.Scan()
		for i := range n {
			if _, err := s.Take(ctx, names[i%keys], rates, 1); err != nil {
				return err
			}
		}
		fmt.Println("done")
	default:
		return fmt.Errorf("unknown role %q", role)
	}
	return nil
}

// awaitStart prints "ready", reads the start time the parent sends (Unix
// milliseconds) and sleeps until then.
func awaitStart(in *bufio.Scanner) (int64, error) {
	fmt.Println("ready")
	var start int64
	if !in.Scan() {
		return 0, fmt.Errorf("no start time")
	}
	if _, err := fmt.Sscan(in.Text(), &start); err != nil {
		return 0, err
	}
	time.Sleep(time.Until(time.UnixMilli(start)))
	return start, nil
}

// startTogether waits for every helper's "ready", sends them all one start
// time 100ms ahead, and returns it.
func startTogether(t testing.TB, helpers []*helper) int64 {
	t.Helper()
	for _, h := range helpers {
		h.expect(t, "ready")
	}
	start := time.Now().UnixMilli() + 100
	for _, h := range helpers {
		h.send(t, fmt.Sprint(start))
	}
	return start
}

// recordingClock is the wall clock, keeping its last reading: a helper's
// stamp, the processes' wall clocks never reading earlier than a stamp
// another process recorded before it.
type recordingClock struct{ last int64 }

func (c *recordingClock) Now() int64 {
	c.last = time.Now().UnixMilli()
	return c.last
}

// openTest opens a store the test closes when it ends.
func openTest(t testing.TB, path string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// tempPath returns a path for a new store file in the test's directory.
func tempPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "store")
}

// mustRates returns the rates s reads, or fails the test.
func mustRates(t testing.TB, s string) ratelimit.Rates {
	t.Helper()
	rs, err := ratelimit.ParseRates(s)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// take takes n units of key at the store's clock and fails the test on an
// error.
func take(t testing.TB, s *Store, key string, rates ratelimit.Rates, n int64) ratelimit.Decision {
	t.Helper()
	d, err := s.Take(t.Context(), key, rates, n)
	if err != nil {
		t.Fatalf("Take(%q, %v, %d): %v", key, rates, n, err)
	}
	return d
}

// keysInUse returns the number of slots in use.
func keysInUse(t testing.TB, s *Store) int {
	t.Helper()
	if err := s.lock(); err != nil {
		t.Fatal(err)
	}
	var err error
	defer func() {
		if s.unlock(&err, nil); err != nil {
			t.Fatal(err)
		}
	}()
	n := 0
	for i := range s.m.lay.maxKeys {
		if uint64(*s.m.index(i))&indexInUse != 0 {
			n++
		}
	}
	return n
}
