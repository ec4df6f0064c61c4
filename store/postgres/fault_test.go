package pgstore_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// TestFaultTerminatedConnections kills every connection of the store's pool
// with pg_terminate_backend while takes run: those takes fail with an error
// (no hang, no panic), takes succeed again shortly after on the same Store
// and pool (pgxpool reconnects), and nothing is left running after Close
// and pool.Close; for each algorithm, with the sweeper running.
func TestFaultTerminatedConnections(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) { testFaultTerminatedConnections(t, alg) })
	}
}

func testFaultTerminatedConnections(t *testing.T, alg ratelimit.Algorithm) {
	admin := sharedPool(t)
	before := runtime.NumGoroutine()
	app := "pgstore-fault-" + uniqueTable()
	pool, err := connect(t.Context(), app, 8, 0)
	if err != nil {
		unreachable(t, err)
	}
	table := uniqueTable()
	dropTable(t, admin, table)
	s, err := pgstore.New(t.Context(), pool, pgstore.WithTable(table), pgstore.WithAlgorithm(alg), pgstore.WithSweepInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	rates := mustRates(t, ratelimit.PerSecond(1_000_000))

	var (
		ok, failed atomic.Int64
		stop       atomic.Bool
		wg         sync.WaitGroup
	)
	for g := range 8 {
		wg.Go(func() {
			for !stop.Load() {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				_, err := s.Take(ctx, "k"+string(rune('0'+g)), rates, 1)
				cancel()
				if err != nil {
					failed.Add(1)
				} else {
					ok.Add(1)
				}
			}
		})
	}
	waitFor(t, "takes before the kill", func() bool { return ok.Load() > 100 })
	var killed int
	if err := admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no connection of the pool was found to terminate")
	}
	waitFor(t, "failed takes after the kill", func() bool { return failed.Load() > 0 })
	recovered := ok.Load()
	waitFor(t, "takes after the kill", func() bool { return ok.Load() > recovered+100 })
	stop.Store(true)
	wg.Wait()
	t.Logf("killed %d connections: %d takes failed, %d succeeded", killed, failed.Load(), ok.Load())

	// A fresh take works without a new Store or pool.
	if d, err := s.Take(t.Context(), "after", rates, 1); err != nil || !d.Allowed {
		t.Fatalf("Take after recovery = %v, %v", d, err)
	}
	s.Close()
	pool.Close()
	waitGoroutines(t, before)
}

// waitGoroutines polls for up to 5s until no more goroutines run than
// before, and otherwise fails t with the stacks of those running.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines still run, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor polls cond for up to 5s and fails t if it never holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
