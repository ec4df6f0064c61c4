//go:build linux || darwin

package mpstore

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

var constAlgorithms = []ratelimit.Algorithm{ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter}

// TestConstMatchesModel drives several keys of a store with three rates and
// the core's model with the same random puts, flushes and leaks, cutting
// some of them short at a crash point as a process killed there would be
// (the state's scratch copy written but the selector not flipped; a new
// key's slot written but not published; again inside a flush). Every
// decision must equal the model's, the model taking no account of the cut
// changes: the next lock holder sees each wholly absent.
func TestConstMatchesModel(t *testing.T) {
	rates, err := ratelimit.NewRates(ratelimit.Per(5, 100*time.Millisecond), ratelimit.Per(20, time.Second), ratelimit.Per(60, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range constAlgorithms {
		t.Run(string(alg), func(t *testing.T) {
			t.Cleanup(func() { crashHook = nil })
			ctx := t.Context()
			clock := ratelimit.NewFakeClock(0)
			s, err := Open(filepath.Join(t.TempDir(), "s"), rates, WithAlgorithm(alg), WithClock(clock))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			a, _ := parseAlgorithm(alg, rates)
			models := map[string]*constState{}
			model := func(k string) *constState {
				if models[k] == nil {
					c := newConstState(a, len(rates))
					models[k] = &c
				}
				return models[k]
			}
			rng := rand.New(rand.NewPCG(3, 9))
			now := int64(1_000_000)
			crashes := map[string]int{}
			for step := range 3000 {
				now += rng.Int64N(40)
				clock.Set(now) // Count reads the store's clock
				key := "k" + strconv.Itoa(rng.IntN(6))
				b, _ := s.Bucket(ctx, key)
				point := ""
				switch rng.IntN(5) {
				case 0:
					point = pointState
				case 1:
					point = pointClaim
				}
				stop := func() {}
				if point != "" {
					stop = crashAt(point, 0)
				}
				switch op := rng.IntN(20); {
				case op == 0: // flush
					var err error
					got := tryCrash(func() { err = b.Flush(ctx) })
					if err != nil {
						t.Fatal(err)
					}
					if got == "" {
						model(key).Reset()
					} else {
						crashes["flush "+got]++
					}
				case op == 1: // leak everything idle
					if _, err := s.Leak(ctx, now); err != nil {
						t.Fatal(err)
					}
					for _, m := range models {
						if m.IdleAt(rates) <= now {
							m.Reset()
						}
					}
				default:
					w := rng.Int64N(5)
					var d ratelimit.Decision
					var err error
					got := tryCrash(func() { d, err = b.Put(ctx, ratelimit.Item{Name: key, Time: now, Weight: w}) })
					if got != "" {
						crashes["put "+got]++
						break
					}
					if err != nil {
						t.Fatalf("step %d: Put: %v", step, err)
					}
					var want ratelimit.Decision
					model(key).DecideInto(&want, rates, now, w)
					if d != want {
						t.Fatalf("step %d: Put(%s, t=%d, w=%d) = %+v, want %+v", step, key, now, w, d, want)
					}
				}
				stop()
				// Count agrees too, at the store's time.
				if n, err := b.Count(ctx); err != nil || n != model(key).Count(rates, now) {
					t.Fatalf("step %d: Count = %d, %v; want %d", step, n, err, model(key).Count(rates, now))
				}
			}
			t.Logf("crashes: %v", crashes)
			for _, want := range []string{"put " + pointState, "put " + pointClaim, "flush " + pointState} {
				if crashes[want] == 0 {
					t.Errorf("no %s crash happened", want)
				}
			}
		})
	}
}

// TestConstCrashHoldingLock stops a child process inside the lock with a
// GCRA put of several rates half written (the scratch copy written, the
// selector not flipped) and kills it with SIGKILL. A put the parent had
// waiting goes through, another child acquires within a second, and the
// state holds exactly what was admitted: the killed put is absent.
func TestConstCrashHoldingLock(t *testing.T) {
	// Rates slow enough that no unit is emitted during the test however
	// slowly its processes start: one per 72s and per 14.4min.
	const rates = "50/h,100/d"
	t.Setenv(envAlg, string(ratelimit.AlgorithmGCRA))
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store")
	rs, _ := ratelimit.ParseRates(rates)
	s, err := Open(path, rs, WithAlgorithm(ratelimit.AlgorithmGCRA))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d, err := s.Acquire(ctx, "k", 4); err != nil || !d.Allowed {
		t.Fatalf("Acquire = %+v, %v", d, err)
	}
	child := startHelper(t, "hang", path, rates, fmt.Sprint(pointState, " k k 0"))
	child.expect(t, "locked")
	waiting := make(chan error, 1)
	go func() {
		_, err := s.Acquire(ctx, "k", 1)
		waiting <- err
	}()
	select {
	case err := <-waiting:
		t.Fatalf("Acquire went through while the child held the lock: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := child.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waiting:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("the lock was not released within 1s of the kill")
	}
	child.cmd.Wait()
	other := startHelper(t, "acquire", path, rates, "2")
	other.expect(t, "ready")
	other.send(t, "go")
	if us, _ := strconv.Atoi(other.expect(t, "acquired true ")); us > 1_000_000 {
		t.Fatalf("another child's Acquire took %dµs", us)
	}
	// 4 + 1 + 2 units, none emitted yet: the killed put's
	// unit is not among them.
	b, _ := s.Bucket(ctx, "k")
	if n, err := b.Count(ctx); err != nil || n != 7 {
		t.Fatalf("Count = %d, %v; want 7, the units admitted", n, err)
	}
	// Both rates moved together: 50/h has 50-7 left.
	if d, err := s.Acquire(ctx, "k", 0); err != nil || d.Remaining != 43 {
		t.Fatalf("Acquire(0) = %+v, %v; want 43 remaining", d, err)
	}
}

// TestCrossProcessGCRA has 4 processes hammer one key with GCRA at 50/s for
// 2 seconds of real time. The merged stamps never exceed the token-bucket
// bound (in any span t, at most 50 + floor(t·50/1000) units) and reach at
// least 95% of it over the run.
func TestCrossProcessGCRA(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 2 seconds of real time")
	}
	const limit, iv, run = 50, int64(1000), int64(2000)
	t.Setenv(envAlg, string(ratelimit.AlgorithmGCRA))
	stamps := hammerProcesses(t, 4, run)
	for i := range stamps {
		for j := i; j < len(stamps); j++ {
			if n, span := int64(j-i+1), stamps[j]-stamps[i]; n > limit+span*limit/iv {
				t.Fatalf("%d units admitted in %dms, over the token-bucket bound", n, span)
			}
		}
	}
	span := stamps[len(stamps)-1] - stamps[0]
	bound := limit + span*limit/iv
	t.Logf("%d admitted over %dms, the bound is %d", len(stamps), span, bound)
	if int64(len(stamps))*100 < bound*95 {
		t.Fatalf("%d admitted over %dms, under 95%% of the %d GCRA allows", len(stamps), span, bound)
	}
}

// TestConstKeySlotsFull fills a table of three slots under GCRA: a new key
// fails fast with ErrFull while every key still counts (the idle hint),
// and keys give up their slots once back to a full burst.
func TestConstKeySlotsFull(t *testing.T) {
	clock := ratelimit.NewFakeClock(0)
	s, err := Open(filepath.Join(t.TempDir(), "s"), []ratelimit.Rate{ratelimit.PerSecond(5)}, WithAlgorithm(ratelimit.AlgorithmGCRA), WithClock(clock), WithMaxKeys(3))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	for i := range 3 {
		if d, err := s.Acquire(ctx, fmt.Sprint("k", i), 1); err != nil || !d.Allowed {
			t.Fatalf("Acquire k%d = %+v, %v", i, d, err)
		}
	}
	clock.Set(100) // the units at 0 count until 200
	if d, err := s.Acquire(ctx, "k3", 1); !errors.Is(err, ErrFull) || d.Allowed {
		t.Fatalf("Acquire past the slots = %+v, %v; want ErrFull", d, err)
	}
	if hint := *s.m.at(hIdleAt); hint != 200 {
		t.Fatalf("idle hint = %d, want 200", hint)
	}
	if d, err := s.Acquire(ctx, "k0", 1); err != nil || !d.Allowed { // k0 counts until 400
		t.Fatalf("Acquire k0 = %+v, %v", d, err)
	}
	clock.Set(200)
	for _, k := range []string{"k3", "k4"} {
		if d, err := s.Acquire(ctx, k, 1); err != nil || !d.Allowed {
			t.Fatalf("Acquire %s after keys went idle = %+v, %v", k, d, err)
		}
	}
	if _, err := s.Acquire(ctx, "k5", 1); !errors.Is(err, ErrFull) {
		t.Fatalf("Acquire k5: err = %v, want ErrFull", err)
	}
	b, _ := s.Bucket(ctx, "k0")
	if n, _ := b.Count(ctx); n != 1 { // TAT 400: one unit of 200ms still to emit
		t.Fatalf("k0 counts %d units, want 1 (an active key is never dropped)", n)
	}
	// A flush makes k0 idle at once: the hint must not hold k5 back.
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Acquire(ctx, "k5", 1); err != nil || !d.Allowed {
		t.Fatalf("Acquire k5 after a flush = %+v, %v", d, err)
	}
	// Store.Leak releases the idle ones and reports no units.
	if n, err := s.Leak(ctx, 399); err != nil || n != 0 {
		t.Fatalf("Leak = %d, %v", n, err)
	}
	if n, _ := s.Len(); n != 3 {
		t.Fatalf("Len = %d after a leak at 399, want 3", n)
	}
	if _, err := s.Leak(ctx, 400); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Len(); n != 0 {
		t.Fatalf("Len = %d after a leak at 400, want 0", n)
	}
}

// TestSlotSizes reports what a key slot costs per algorithm, with the
// default key length: the file's bytes per key.
func TestSlotSizes(t *testing.T) {
	for _, rates := range [][]ratelimit.Rate{
		{ratelimit.Per(1000, time.Hour)},
		{ratelimit.PerSecond(10), ratelimit.PerMinute(100), ratelimit.Per(1000, time.Hour)},
	} {
		rs, _ := ratelimit.NewRates(rates...)
		for _, alg := range append([]ratelimit.Algorithm{ratelimit.AlgorithmSlidingWindowLog}, constAlgorithms...) {
			cfg, err := newConfig(rs, []Option{WithAlgorithm(alg)})
			if err != nil {
				t.Fatal(err)
			}
			lay, err := newLayout(cfg, len(rs))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-22s %v: %6d bytes per key slot (+8 of index)", alg, rs, lay.slotSize)
			if alg != ratelimit.AlgorithmSlidingWindowLog && lay.slotSize > 16+8+lay.nameSize+2*lay.stateLen+63 {
				t.Errorf("%s slot of %d bytes holds more than a key and two states", alg, lay.slotSize)
			}
		}
	}
}

// TestConstAcquireNoAllocs: a constant-state put allocates nothing.
func TestConstAcquireNoAllocs(t *testing.T) {
	for _, alg := range constAlgorithms {
		s, err := Open(filepath.Join(t.TempDir(), "s"), []ratelimit.Rate{ratelimit.PerSecond(1 << 40)}, WithAlgorithm(alg))
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		if n := testing.AllocsPerRun(100, func() { s.Acquire(ctx, "key", 1) }); n != 0 {
			t.Errorf("%s: Acquire allocates %v times", alg, n)
		}
		s.Close()
	}
}
