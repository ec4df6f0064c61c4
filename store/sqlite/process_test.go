package sqlitestore_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// The cross-process tests re-execute the test binary as child processes
// (TestHelperProcess) that share one database file. A child reads its job
// from the environment, opens the file, prints "ready", waits for a line on
// stdin, then takes: for a duration (helperRun) or a number of times
// (helperCount), over helperKeys keys, one unit at a time, pausing
// helperPause between takes if set, and refunding every other admitted
// unit at once if helperRefund is set, under a block of helperBlock if set
// (TakeBlocking). It prints "admitted <stamp>" for each admitted unit when
// helperPrint is set (the store's clock as read inside the take's
// transaction), "settled <admitted> <refunded>" when helperRefund is, and
// "done <takes> <nanoseconds>" at the end, followed by the number of
// blocked denials when helperBlock is set.
const (
	helperEnv    = "SQLITESTORE_TEST_HELPER" // the database path; set only in a child
	helperRate   = "SQLITESTORE_TEST_RATE"   // e.g. "50/s"
	helperKeys   = "SQLITESTORE_TEST_KEYS"
	helperRun    = "SQLITESTORE_TEST_RUN"
	helperCount  = "SQLITESTORE_TEST_COUNT"
	helperPrint  = "SQLITESTORE_TEST_PRINT"
	helperPause  = "SQLITESTORE_TEST_PAUSE"  // between takes, e.g. "2ms"
	helperAlg    = "SQLITESTORE_TEST_ALG"    // the algorithm; unset means the log
	helperHold   = "SQLITESTORE_TEST_HOLD"   // set: hold a lock instead, "go", "read" or a duration (see runHolder)
	helperRefund = "SQLITESTORE_TEST_REFUND" // set: refund every other admitted unit
	helperBlock  = "SQLITESTORE_TEST_BLOCK"  // set: take under a block this long, e.g. "1h"
)

func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("runs only as a child of the cross-process tests")
	}
	run := runHelper
	if os.Getenv(helperHold) != "" {
		run = runHolder
	}
	if err := run(path); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// lastClock is the wall clock, remembering its last reading: a child's
// store reads it inside each take's transaction, so after an admitted take
// it holds the take's stamp (the sweeper reads it too, but not within a
// child's few seconds).
type lastClock struct{ last atomic.Int64 }

func (c *lastClock) Now() int64 {
	now := core.WallClock{}.Now()
	c.last.Store(now)
	return now
}

func runHelper(path string) error {
	rates, err := ratelimit.ParseRates(os.Getenv(helperRate))
	if err != nil {
		return err
	}
	keys, _ := strconv.Atoi(os.Getenv(helperKeys))
	run, _ := time.ParseDuration(os.Getenv(helperRun))
	count, _ := strconv.Atoi(os.Getenv(helperCount))
	pause, _ := time.ParseDuration(os.Getenv(helperPause))
	print := os.Getenv(helperPrint) != ""
	refund := os.Getenv(helperRefund) != ""
	var block *ratelimit.Block
	if v := os.Getenv(helperBlock); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		block = &ratelimit.Block{For: d}
	}
	clock := &lastClock{}
	s, err := sqlitestore.Open(path, sqlitestore.WithClock(clock), sqlitestore.WithAlgorithm(ratelimit.Algorithm(os.Getenv(helperAlg))))
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
	names := make([]string, max(keys, 1))
	for i := range names {
		names[i] = "key-" + strconv.Itoa(i)
	}
	ctx := context.Background()
	start := time.Now()
	n, admitted, refunded, blocked := 0, 0, 0, 0
	for ; (count > 0 && n < count) || (count == 0 && time.Since(start) < run); n++ {
		key := names[n%len(names)]
		var d ratelimit.Decision
		if block != nil {
			d, err = s.TakeBlocking(ctx, key, rates, 1, *block)
		} else {
			d, err = s.Take(ctx, key, rates, 1)
		}
		if err != nil {
			return err
		}
		if d.Blocked {
			blocked++
		}
		if d.Allowed && print {
			fmt.Fprintln(out, "admitted", clock.last.Load())
			out.Flush() // a killed child has told all it admitted
		}
		if d.Allowed {
			admitted++
		}
		if d.Allowed && refund && admitted%2 == 1 {
			if _, err := s.Refund(ctx, key, rates, d, 1); err != nil {
				return err
			}
			refunded++
		}
		if pause > 0 {
			time.Sleep(pause)
		}
	}
	if refund {
		fmt.Fprintln(out, "settled", admitted, refunded)
	}
	if block != nil {
		fmt.Fprintln(out, "done", n, time.Since(start).Nanoseconds(), blocked)
	} else {
		fmt.Fprintln(out, "done", n, time.Since(start).Nanoseconds())
	}
	return nil
}

// collect reads the child's output to the end and returns its admitted
// stamps and the fields of its done line (nil if it printed none).
func (c *child) collect() (admitted []int64, done []int64) {
	for line := range c.lines {
		fields := strings.Fields(line)
		vals := make([]int64, 0, len(fields))
		for _, f := range fields[1:] {
			v, _ := strconv.ParseInt(f, 10, 64)
			vals = append(vals, v)
		}
		switch fields[0] {
		case "admitted":
			admitted = append(admitted, vals[0])
		case "done":
			done = vals
		}
	}
	return admitted, done
}

func helperJob(rate string, keys int, run time.Duration, count int, print bool) []string {
	env := []string{helperRate + "=" + rate, helperKeys + "=" + strconv.Itoa(keys), helperRun + "=" + run.String(), helperCount + "=" + strconv.Itoa(count)}
	if print {
		env = append(env, helperPrint+"=1")
	}
	return env
}

// runHolder is a child's job under helperHold: it opens the file with a
// plain *sql.DB, takes SQLite's write lock with BEGIN IMMEDIATE (or, for
// helperHold "read", a read lock with a read transaction), prints "ready",
// holds the lock until a line arrives on stdin (helperHold "go" or "read")
// or for a duration (helperHold "100ms"), then rolls back and prints
// "released".
func runHolder(path string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	hold := os.Getenv(helperHold)
	if hold == "read" {
		// A read transaction: a SHARED lock, until the reader is done.
		var n int64
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			return err
		}
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
			return err
		}
	} else if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	fmt.Println("ready")
	if hold == "go" || hold == "read" {
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
	} else if d, err := time.ParseDuration(hold); err != nil {
		return err
	} else {
		time.Sleep(d)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		return err
	}
	fmt.Println("released")
	return nil
}

// holder is a child process holding the write lock of a database file.
type holder struct{ *child }

// startHolder starts a child that holds path's write lock (BEGIN IMMEDIATE)
// and returns once it does: until release, or for the duration hold when
// it is positive. The file must exist with its schema.
func startHolder(tb testing.TB, path string, hold time.Duration) holder {
	tb.Helper()
	job := "go"
	if hold > 0 {
		job = hold.String()
	}
	return holder{startChildren(tb, 1, path, helperHold+"="+job)[0]}
}

// startReader starts a child that holds a read transaction on path until
// release.
func startReader(tb testing.TB, path string) holder {
	tb.Helper()
	return holder{startChildren(tb, 1, path, helperHold+"=read")[0]}
}

// release makes the child roll back and returns once the lock is free.
func (h holder) release(tb testing.TB) {
	tb.Helper()
	h.start(tb)
	if err := h.released(); err != nil {
		tb.Fatal(err)
	}
}

// released waits for the child to say it has freed the lock.
func (h holder) released() error {
	if line, ok := <-h.lines; !ok || line != "released" {
		return fmt.Errorf("holder: got %q, want released", line)
	}
	return nil
}
