package sqlitestore_test

import (
	"database/sql"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestCrossProcessExact has 4 processes, started at the same moment on a
// file none of them created, hammer one key with 50/s for 3s. The merged
// log of what they admitted never holds more than 50 units in any 1s window
// (inclusive edges: [t-1000, t]), and holds at least 95% of what the limit
// allows from the first admission to the last: lock contention causes no
// false denial.
func TestCrossProcessExact(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 4 processes for 3s")
	}
	const limit, window = 50, 1000
	path := filepath.Join(t.TempDir(), "shared.db")
	children := startChildren(t, 4, path, helperJob("50/s", 1, 3*time.Second, 0, true)...)
	for _, c := range children {
		c.start(t)
	}
	var all []int64
	for i, c := range children {
		admitted, done := c.collect()
		if done == nil {
			t.Fatalf("child %d ended without a done line", i)
		}
		t.Logf("child %d: %d takes, %d admitted", i, done[0], len(admitted))
		all = append(all, admitted...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		t.Fatal("nothing admitted")
	}
	for i, ts := range all {
		lo, _ := slices.BinarySearch(all, ts-window)
		if n := i + 1 - lo; n > limit {
			t.Fatalf("%d units admitted in [%d, %d], over the limit of %d", n, ts-window, ts, limit)
		}
	}
	// Cut the run, from the first admission on, into blocks of 1001ms: each
	// fits in one closed window, so no limiter admits more than limit units
	// in one, and an exact one with steady demand admits exactly limit in
	// each. The block the run ended in is cut short by the end of demand, not
	// by the limiter: only the complete blocks are judged.
	blocks := (all[len(all)-1] - all[0]) / (window + 1)
	if blocks < 2 {
		t.Fatalf("admissions span %dms, want at least two 1001ms blocks", all[len(all)-1]-all[0])
	}
	end, _ := slices.BinarySearch(all, all[0]+blocks*(window+1))
	got, bound := int64(end), limit*blocks
	t.Logf("%d admitted in all; %d in the first %d blocks of 1001ms, at most %d possible", len(all), got, blocks, bound)
	if got*100 < bound*95 {
		t.Fatalf("%d admitted in %d blocks of 1001ms, under 95%% of the %d the limit allows", got, blocks, bound)
	}
}

// TestCrossProcessCrash kills a process with SIGKILL while it hammers the
// file (most of its time is inside a write transaction). This process and
// another child, both taking all along, go on within a second, and the
// file passes PRAGMA integrity_check.
func TestCrossProcessCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes for a second or two")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	huge := mustRates(t, per(1<<40, time.Second))
	s := openStore(t, path)
	victim := startChildren(t, 1, path, helperJob("1099511627776/s", 1, 10*time.Second, 0, true)...)[0]
	// The survivor takes every 2ms rather than flat out, so that it and
	// this process do not starve each other of SQLite's polled lock.
	survivor := startChildren(t, 1, path, append(helperJob("1099511627776/s", 1, 1500*time.Millisecond, 0, true), helperPause+"=2ms")...)[0]
	victim.start(t)
	survivor.start(t)
	for range 200 { // well into its run
		if _, ok := <-victim.lines; !ok {
			t.Fatal("the victim ended early")
		}
	}
	if err := victim.cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	victim.cmd.Wait()
	killed := time.Now()
	var drain sync.WaitGroup
	drain.Go(func() { victim.collect() })

	d, err := s.Take(t.Context(), "key-0", huge, 1)
	if err != nil || !d.Allowed {
		t.Fatalf("Take after the kill = %v, %v", d, err)
	}
	if took := time.Since(killed); took > time.Second {
		t.Fatalf("first take after the kill took %v", took)
	}
	admitted, done := survivor.collect()
	drain.Wait()
	if done == nil {
		t.Fatal("the survivor ended without a done line")
	}
	after := 0
	for _, ts := range admitted {
		if ts > killed.UnixMilli() && ts <= killed.Add(time.Second).UnixMilli() {
			after++
		}
	}
	if after == 0 {
		t.Fatalf("the survivor admitted nothing within 1s of the kill (%d in all)", len(admitted))
	}
	t.Logf("survivor: %d admitted within 1s after the kill, %d in all", after, len(admitted))

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
}
