//go:build linux || darwin

package mpstore

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// unitLog is the plainest sliding-window log, the reference the store's
// ring is held to: every admitted unit its own timestamp, in order, none
// ever dropped.
type unitLog struct{ units []int64 }

func (u *unitLog) CountSince(_ int, since int64) int64 {
	i, _ := slices.BinarySearch(u.units, since)
	return int64(len(u.units) - i)
}

func (u *unitLog) NthNewest(k int64) (int64, bool) {
	if k < 0 || k >= int64(len(u.units)) {
		return 0, false
	}
	return u.units[int64(len(u.units))-1-k], true
}

// take judges n units at now and keeps them if admitted.
func (u *unitLog) take(rates ratelimit.Rates, now, n int64, keep bool) (d ratelimit.Decision) {
	core.DecideLog(&d, rates, now, n, u)
	if keep && d.Allowed {
		for range n {
			u.units = append(u.units, now)
		}
	}
	return d
}

// TestLogMatchesModel drives a key of a store and the reference log with
// the same random takes, checks and resets, under rate lists that change
// now and then (sharing their largest interval, which the ring keeps), and
// requires identical decisions. The ring holds exactly what the rates
// need, so takes reclaim the entries that left the window all along. Some
// takes are cut short at a crash point, as a process killed there would
// be: the next call must see the take not at all.
func TestLogMatchesModel(t *testing.T) {
	lists := []ratelimit.Rates{
		mustRates(t, "15/50ms, 60/400ms, 100/s"),
		mustRates(t, "10/50ms, 100/s"),
		mustRates(t, "100/s"),
		mustRates(t, "5/10ms, 30/200ms, 80/s"),
	}
	points := []string{pointAppend, pointClaim}
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Cleanup(func() { crashHook = nil })
			r := rand.New(rand.NewPCG(seed, 2))
			clock := core.NewFakeClock(1000)
			s := openTest(t, tempPath(t), WithClock(clock), WithMaxEntries(100))
			ctx, ref := t.Context(), &unitLog{}
			rates := lists[0]
			crashes := map[string]int{}
			for step := range 3000 {
				now := clock.Advance(time.Duration(r.IntN(12)) * time.Millisecond)
				if r.IntN(20) == 0 {
					rates = lists[r.IntN(len(lists))]
				}
				n := int64(r.IntN(5))
				if r.IntN(40) == 0 {
					n = 16 // more than any smallest limit
				}
				switch op := r.IntN(30); {
				case op == 0:
					if err := s.Reset(ctx, "k"); err != nil {
						t.Fatalf("step %d: Reset: %v", step, err)
					}
					ref.units = nil
				case op < 5:
					got, err := s.Check(ctx, "k", rates, n)
					if want := ref.take(rates, now, n, false); err != nil || got != want {
						t.Fatalf("step %d: Check(%v, %d) at %d = %v, %v; want %v", step, rates, n, now, got, err, want)
					}
				default:
					point := ""
					if r.IntN(6) == 0 {
						point = points[r.IntN(len(points))]
					}
					var got ratelimit.Decision
					var err error
					stop := crashAt(point, 0)
					crashed := tryCrash(func() { got, err = s.Take(ctx, "k", rates, n) })
					stop()
					if crashed != "" {
						crashes[crashed]++
						break
					}
					if want := ref.take(rates, now, n, true); err != nil || got != want {
						t.Fatalf("step %d: Take(%v, %d) at %d = %v, %v; want %v", step, rates, n, now, got, err, want)
					}
				}
			}
			for _, p := range points {
				if crashes[p] == 0 {
					t.Errorf("no take crashed at %s: %v", p, crashes)
				}
			}
		})
	}
}

// TestRingHoldsWhatRatesNeed fills rings of exactly the entries the rates
// need, min(limit, interval in ms + 1), and takes on: each admitted take
// finds room by dropping what left the window. Rates that need more are an
// error naming both numbers, and store nothing.
func TestRingHoldsWhatRatesNeed(t *testing.T) {
	tests := []struct {
		name  string
		rates string
		step  int64 // ms between takes
	}{
		{"by limit", "4/s", 100},
		{"by interval", "100/3ms", 1},
		{"two rates", "2/2ms, 4/s", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithClock(clock), WithMaxEntries(4))
			rates, ref := mustRates(t, tt.rates), &unitLog{}
			for i := range int64(200) {
				now := clock.Advance(time.Duration(tt.step) * time.Millisecond)
				if got, want := take(t, s, "k", rates, 1), ref.take(rates, now, 1, true); got != want {
					t.Fatalf("take %d at %d = %v, want %v", i, now, got, want)
				}
			}
		})
	}
	s := openTest(t, tempPath(t), WithMaxEntries(512))
	for _, tt := range []struct{ rates, want string }{
		{"1000/h", "needs up to 1000 log entries per key, a key slot holds 512"},
		{"10/s, 600/min", "needs up to 600 log entries per key, a key slot holds 512"},
		{"1000/512ms", "needs up to 513 log entries per key, a key slot holds 512"},
	} {
		rates := mustRates(t, tt.rates)
		if _, err := s.Take(t.Context(), "k", rates, 1); !errors.Is(err, ratelimit.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
			t.Fatalf("Take under %v: err = %v, want ErrInvalidArgument saying %q", rates, err, tt.want)
		}
	}
	if n := keysInUse(t, s); n != 0 {
		t.Fatalf("%d keys in use after refused takes", n)
	}
	take(t, s, "k", mustRates(t, "1000/511ms"), 1) // 512 entries at most
}
