// Command multiprocess shows 4 worker processes sharing one limit through
// the multi-process store: the program starts copies of itself as workers,
// each takes what it can from one limit for a while and reports how many it
// got, and the total never exceeds what the limit allows.
package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gorate/ratelimit"
	mpstore "github.com/gorate/ratelimit/store/multiprocess"
)

const (
	workers  = 4
	runFor   = 1500 * time.Millisecond
	envStore = "MULTIPROCESS_EXAMPLE_STORE" // set in a worker: the store file
	envStart = "MULTIPROCESS_EXAMPLE_START" // set in a worker: when to start, Unix ms
)

// The limit every worker shares: 100 per second and 150 per minute.
var rates = ratelimit.Rates{ratelimit.PerSecond(100), ratelimit.PerMinute(150)}

func main() {
	var err error
	if path := os.Getenv(envStore); path != "" {
		err = work(context.Background(), path, os.Getenv(envStart))
	} else {
		err = run()
	}
	if err != nil {
		log.Fatal(err)
	}
}

// run starts the workers on a new store file and adds up what they got.
func run() error {
	dir, err := os.MkdirTemp("", "multiprocess-example")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "limits")
	self, err := os.Executable()
	if err != nil {
		return err
	}
	start := strconv.FormatInt(time.Now().Add(500*time.Millisecond).UnixMilli(), 10)
	outs := make([]*bufio.Scanner, workers)
	cmds := make([]*exec.Cmd, workers)
	for i := range cmds {
		cmds[i] = exec.Command(self)
		cmds[i].Env = append(os.Environ(), envStore+"="+path, envStart+"="+start)
		cmds[i].Stderr = os.Stderr
		out, err := cmds[i].StdoutPipe()
		if err != nil {
			return err
		}
		outs[i] = bufio.NewScanner(out)
		if err := cmds[i].Start(); err != nil {
			return err
		}
	}
	fmt.Printf("%d workers share %s for %s\n", workers, rates, runFor)
	total := 0
	for i, cmd := range cmds {
		got := 0
		if outs[i].Scan() {
			got, _ = strconv.Atoi(outs[i].Text())
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("worker %d: %w", i, err)
		}
		fmt.Printf("worker %d (pid %d): %d taken\n", i, cmd.Process.Pid, got)
		total += got
	}
	// 100 at once, 100 more a second later, then the minute's 150 binds.
	fmt.Printf("total: %d taken (the limit allows at most 150 in %s)\n", total, runFor)
	if total > 150 {
		return fmt.Errorf("the workers got %d, over the limit", total)
	}
	return nil
}

// work is a worker: from the start time on, it takes as fast as it can
// until the run is over, and prints how many units it got.
func work(ctx context.Context, path, start string) error {
	ms, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		return err
	}
	store, err := mpstore.Open(path)
	if err != nil {
		return err
	}
	defer store.Close() // a limiter never closes its store
	limiter, err := ratelimit.New(store, rates)
	if err != nil {
		return err
	}
	defer limiter.Close()
	begin := time.UnixMilli(ms)
	time.Sleep(time.Until(begin))
	got := 0
	for time.Since(begin) < runFor {
		d, err := limiter.Allow(ctx, "shared-job")
		if err != nil {
			return err
		}
		if d.Allowed {
			got++
		}
	}
	fmt.Println(got)
	return nil
}
