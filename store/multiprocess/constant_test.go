//go:build linux || darwin

package mpstore

import (
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// TestConstMatchesModel drives several keys of a store and core.State
// models with the same random takes, checks and resets, under rate lists
// that change now and then (limits raised and lowered, rates added and
// dropped), cutting some takes short at a crash point as a process killed
// there would be (the state's scratch copy written but the selector not
// flipped; a new key's slot written but not published). Every decision
// must equal the model's, the model taking no account of the cut takes:
// the next lock holder sees each wholly absent.
func TestConstMatchesModel(t *testing.T) {
	lists := []ratelimit.Rates{
		mustRates(t, "5/100ms, 20/s, 60/5s"),
		mustRates(t, "3/100ms, 20/s, 90/5s"),
		mustRates(t, "20/s"),
		mustRates(t, "8/200ms, 30/s"),
		mustRates(t, "50/5s"),
	}
	for _, alg := range []ratelimit.Algorithm{ratelimit.GCRA, ratelimit.SlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			t.Cleanup(func() { crashHook = nil })
			ctx := t.Context()
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithAlgorithm(alg), WithClock(clock))
			models := map[string]*core.State{}
			model := func(k string) *core.State {
				if models[k] == nil {
					models[k] = &core.State{Algorithm: alg}
				}
				return models[k]
			}
			rng := rand.New(rand.NewPCG(3, 9))
			now := int64(1_000_000)
			rates := lists[0]
			crashes := map[string]int{}
			for step := range 4000 {
				now += rng.Int64N(40)
				clock.Set(now)
				if rng.IntN(15) == 0 {
					rates = lists[rng.IntN(len(lists))]
				}
				key := "k" + strconv.Itoa(rng.IntN(6))
				n := rng.Int64N(5)
				var want ratelimit.Decision
				switch op := rng.IntN(20); {
				case op == 0:
					if err := s.Reset(ctx, key); err != nil {
						t.Fatalf("step %d: Reset: %v", step, err)
					}
					delete(models, key)
				case op < 4:
					got, err := s.Check(ctx, key, rates, n)
					if model(key).Decide(&want, rates, now, n, false); err != nil || got != want {
						t.Fatalf("step %d: Check(%s, %v, %d) at %d = %v, %v; want %v", step, key, rates, n, now, got, err, want)
					}
				default:
					point := ""
					switch rng.IntN(5) {
					case 0:
						point = pointState
					case 1:
						point = pointClaim
					}
					var got ratelimit.Decision
					var err error
					stop := crashAt(point, 0)
					crashed := tryCrash(func() { got, err = s.Take(ctx, key, rates, n) })
					stop()
					if crashed != "" {
						crashes[crashed]++
						break
					}
					if model(key).Decide(&want, rates, now, n, true); err != nil || got != want {
						t.Fatalf("step %d: Take(%s, %v, %d) at %d = %v, %v; want %v", step, key, rates, n, now, got, err, want)
					}
				}
			}
			t.Logf("crashes: %v", crashes)
			for _, p := range []string{pointState, pointClaim} {
				if crashes[p] == 0 {
					t.Errorf("no take crashed at %s", p)
				}
			}
		})
	}
}

// TestConstCrashHoldingLock stops a child process inside the lock with a
// GCRA take of several rates half written (the scratch copy written, the
// selector not flipped) and kills it with SIGKILL. A take the parent had
// waiting goes through, another child takes within a second, and the
// state holds exactly what was admitted: the killed take is absent.
func TestConstCrashHoldingLock(t *testing.T) {
	// Rates slow enough that no unit is emitted during the test however
	// slowly its processes start: one per 72s and per 14.4min.
	const rates = "50/h, 100/d"
	t.Setenv(envAlg, string(ratelimit.GCRA))
	ctx := t.Context()
	path := tempPath(t)
	rs := mustRates(t, rates)
	s := openTest(t, path, WithAlgorithm(ratelimit.GCRA))
	take(t, s, "k", rs, 4)
	child := startHelper(t, "hang", path, rates, pointState+" k")
	child.expect(t, "locked")
	waiting := make(chan error, 1)
	go func() {
		_, err := s.Take(ctx, "k", rs, 1)
		waiting <- err
	}()
	select {
	case err := <-waiting:
		t.Fatalf("Take went through while the child held the lock: %v", err)
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
	other := startHelper(t, "take", path, rates, "2")
	other.expect(t, "ready")
	other.send(t, "go")
	if us, _ := strconv.Atoi(other.expect(t, "took true ")); us > 1_000_000 {
		t.Fatalf("another child's Take took %dµs", us)
	}
	// 4 + 1 + 2 units, none emitted yet: the killed take's unit is not
	// among them, and both rates moved together: 50/h has 50-7 left.
	if d := take(t, s, "k", rs, 0); d.Remaining != 43 {
		t.Fatalf("Take(0) = %v; want 43 remaining", d)
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
	t.Setenv(envAlg, string(ratelimit.GCRA))
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
