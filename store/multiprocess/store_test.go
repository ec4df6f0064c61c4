//go:build linux || darwin

package mpstore

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

func TestOpenRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
	}{
		{"zero keys", []Option{WithMaxKeys(0)}},
		{"too many keys", []Option{WithMaxKeys(maxMaxKeys + 1)}},
		{"zero entries", []Option{WithMaxEntries(0)}},
		{"zero rates", []Option{WithMaxRates(0)}},
		{"too many rates", []Option{WithMaxRates(maxMaxRates + 1)}},
		{"short keys", []Option{WithMaxKeyLen(16)}},
		{"long keys", []Option{WithMaxKeyLen(maxKeyLenCap + 1)}},
		{"huge file", []Option{WithMaxKeys(1 << 22), WithMaxEntries(1 << 22)}},
		{"unknown algorithm", []Option{WithAlgorithm("leaky-bucket")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			if s, err := Open(path, tt.opts...); !errors.Is(err, ratelimit.ErrInvalidArgument) {
				if err == nil {
					s.Close()
				}
				t.Fatalf("Open: err = %v, want ErrInvalidArgument", err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused Open left a file behind: %v", err)
			}
		})
	}
}

// TestTakeRejectsBadInput passes what the store cannot judge: every call
// fails with the sentinel named, admits nothing, and takes no slot.
func TestTakeRejectsBadInput(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		alg   ratelimit.Algorithm
		rates ratelimit.Rates
		n     int64
		want  error
	}{
		{"negative n", "", ratelimit.Rates{ratelimit.PerSecond(5)}, -1, ratelimit.ErrInvalidArgument},
		{"no rates", "", nil, 1, ratelimit.ErrInvalidRate},
		{"zero limit", "", ratelimit.Rates{ratelimit.PerSecond(0)}, 1, ratelimit.ErrInvalidRate},
		{"zero interval", ratelimit.GCRA, ratelimit.Rates{{Limit: 5}}, 1, ratelimit.ErrInvalidRate},
		{"interval not whole", ratelimit.SlidingWindowCounter, ratelimit.Rates{{Limit: 5, Interval: ms + 1}}, 1, ratelimit.ErrInvalidRate},
		{"interval too long", ratelimit.GCRA, ratelimit.Rates{{Limit: 5, Interval: ratelimit.MaxInterval + ms}}, 1, ratelimit.ErrInvalidRate},
		{"not sorted", "", ratelimit.Rates{ratelimit.PerMinute(50), ratelimit.PerSecond(5)}, 1, ratelimit.ErrInvalidRate},
		{"same interval twice", ratelimit.GCRA, ratelimit.Rates{ratelimit.PerSecond(5), ratelimit.PerSecond(6)}, 1, ratelimit.ErrInvalidRate},
		{"GCRA inexact", ratelimit.GCRA, ratelimit.Rates{ratelimit.PerSecond(1 << 44)}, 1, ratelimit.ErrInvalidRate},
		{"counter inexact", ratelimit.SlidingWindowCounter, ratelimit.Rates{ratelimit.PerSecond(1 << 44)}, 1, ratelimit.ErrInvalidRate},
		{"more rates than a slot holds", ratelimit.GCRA, mustRates(t, "1/ms, 10/s, 20/min, 30/h, 40/d"), 1, ratelimit.ErrInvalidArgument},
		{"more entries than a slot holds", "", ratelimit.Rates{ratelimit.PerMinute(513)}, 1, ratelimit.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t, tempPath(t), WithAlgorithm(tt.alg))
			if d, err := s.Take(t.Context(), "k", tt.rates, tt.n); !errors.Is(err, tt.want) || d != (ratelimit.Decision{}) {
				t.Fatalf("Take = %v, %v; want %v", d, err, tt.want)
			}
			if d, err := s.Check(t.Context(), "k", tt.rates, tt.n); !errors.Is(err, tt.want) || d != (ratelimit.Decision{}) {
				t.Fatalf("Check = %v, %v; want %v", d, err, tt.want)
			}
			if n := keysInUse(t, s); n != 0 {
				t.Fatalf("%d keys in use after a refused take", n)
			}
		})
	}
}

// TestRateChangeRefusedKeepsState takes under GCRA rates, then under rates
// it cannot compute exactly: the take fails, and the key's state and rates
// stay as they were.
func TestRateChangeRefusedKeepsState(t *testing.T) {
	clock := core.NewFakeClock(0)
	s := openTest(t, tempPath(t), WithAlgorithm(ratelimit.GCRA), WithClock(clock))
	rates := mustRates(t, "5/s")
	take(t, s, "k", rates, 3)
	if _, err := s.Take(t.Context(), "k", ratelimit.Rates{ratelimit.PerSecond(1 << 44)}, 1); !errors.Is(err, ratelimit.ErrInvalidRate) {
		t.Fatalf("Take under inexact rates: err = %v, want ErrInvalidRate", err)
	}
	if d := take(t, s, "k", rates, 0); d.Remaining != 2 {
		t.Fatalf("Take(0) = %v; want 2 left, the state unchanged", d)
	}
}

// TestReopen opens an existing file with the layout it was made with (fine,
// state kept) and with others (refused, naming the difference).
func TestReopen(t *testing.T) {
	rates := mustRates(t, "5/s")
	path := tempPath(t)
	s := openTest(t, path, WithMaxKeys(64))
	take(t, s, "a", rates, 2)
	s.Close()
	tests := []struct {
		name string
		opts []Option
		want string // in the error; "" for none
	}{
		{"same", []Option{WithMaxKeys(64)}, ""},
		{"log named", []Option{WithMaxKeys(64), WithAlgorithm(ratelimit.SlidingWindowLog)}, ""},
		{"rates per key unused by the log", []Option{WithMaxKeys(64), WithMaxRates(9)}, ""},
		{"other keys", nil, "64 key slots, not 4096"},
		{"other entries", []Option{WithMaxKeys(64), WithMaxEntries(99)}, "512 entries per key, not 99"},
		{"other key length", []Option{WithMaxKeys(64), WithMaxKeyLen(64)}, "128 bytes of key, not 64"},
		{"other algorithm", []Option{WithMaxKeys(64), WithAlgorithm(ratelimit.GCRA)}, "uses the algorithm sliding-window-log, not gcra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(path, tt.opts...)
			if tt.want != "" {
				if !errors.Is(err, ratelimit.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Open: err = %v, want ErrInvalidArgument saying %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if d := take(t, s, "a", rates, 0); d.Remaining != 3 {
				t.Fatalf("Take(0) after reopening = %v; want 3 left", d)
			}
		})
	}

	// A constant-state file records its rates per key, not entries.
	path = tempPath(t)
	openTest(t, path, WithAlgorithm(ratelimit.GCRA)).Close()
	if s, err := Open(path, WithAlgorithm(ratelimit.GCRA), WithMaxEntries(7)); err != nil {
		t.Fatalf("Open of a GCRA file with another (unused) number of entries: %v", err)
	} else {
		s.Close()
	}
	if _, err := Open(path, WithAlgorithm(ratelimit.GCRA), WithMaxRates(2)); err == nil || !strings.Contains(err.Error(), "4 rates per key, not 2") {
		t.Fatalf("Open of a GCRA file with other rates per key: err = %v", err)
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
	}{
		{"text", []byte("hello, world\n")},
		{"page of garbage", []byte(strings.Repeat("x", 8192))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(path); !errors.Is(err, ratelimit.ErrInvalidArgument) {
				t.Fatalf("Open: err = %v, want ErrInvalidArgument", err)
			}
			if got, _ := os.ReadFile(path); string(got) != string(tt.content) {
				t.Fatal("Open changed a file that is not a store")
			}
		})
	}
}

// TestKeySlotsFull fills a table of three slots, for every algorithm: a
// new key fails with ErrFull while every key still counts, known keys go
// on, and idle keys give up their slots.
func TestKeySlotsFull(t *testing.T) {
	rates := mustRates(t, "5/s")
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithAlgorithm(alg), WithClock(clock), WithMaxKeys(3))
			ctx := t.Context()
			for i := range 3 {
				take(t, s, fmt.Sprint("k", i), rates, 5)
			}
			clock.Set(199) // every algorithm still counts the units at 0
			if d, err := s.Take(ctx, "k3", rates, 1); !errors.Is(err, ErrFull) || d.Allowed {
				t.Fatalf("Take past the slots = %v, %v; want ErrFull", d, err)
			}
			if d := take(t, s, "k3", rates, 0); !d.Allowed || d.Remaining != 5 {
				t.Fatalf("n=0 needs no slot: %v", d)
			}
			if d, err := s.Check(ctx, "k3", rates, 1); err != nil || !d.Allowed {
				t.Fatalf("Check needs no slot: %v, %v", d, err)
			}
			clock.Set(2500)
			take(t, s, "k0", rates, 1) // k0 counts on, k1 and k2 are idle
			for _, k := range []string{"k3", "k4"} {
				if d := take(t, s, k, rates, 1); !d.Allowed {
					t.Fatalf("Take %s after keys went idle = %v", k, d)
				}
			}
			if _, err := s.Take(ctx, "k5", rates, 1); !errors.Is(err, ErrFull) {
				t.Fatalf("Take k5: err = %v, want ErrFull", err)
			}
			if d := take(t, s, "k0", rates, 0); d.Remaining != 4 {
				t.Fatalf("k0 = %v; want 4 left (an active key is never dropped)", d)
			}
			if n := keysInUse(t, s); n != 3 {
				t.Fatalf("%d keys in use, want 3", n)
			}
		})
	}
}

// TestKeptForLastTake has a key take under an hour, then under a second:
// its slot is kept for the interval of its last take, so a new key gets it
// once that second is over, which the idle hint (set while the hour
// counted) does not hold back.
func TestKeptForLastTake(t *testing.T) {
	hour, second := mustRates(t, "5/h"), mustRates(t, "5/s")
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			clock := core.NewFakeClock(0)
			s := openTest(t, tempPath(t), WithAlgorithm(alg), WithClock(clock), WithMaxKeys(1))
			ctx := t.Context()
			take(t, s, "a", hour, 1)
			clock.Set(5000)
			if _, err := s.Take(ctx, "b", hour, 1); !errors.Is(err, ErrFull) {
				t.Fatalf("Take b while a counts for the hour: err = %v, want ErrFull", err)
			}
			take(t, s, "a", second, 0) // a's last take: a second
			if d := take(t, s, "b", hour, 1); !d.Allowed {
				t.Fatalf("Take b once a counts for a second only = %v", d)
			}
		})
	}
}

// TestReset forgets a key under every algorithm: its slot is released for
// a new key, its next take starts afresh, and a key with no slot is
// nothing to reset.
func TestReset(t *testing.T) {
	rates := mustRates(t, "3/min")
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			s := openTest(t, tempPath(t), WithAlgorithm(alg), WithMaxKeys(1))
			ctx := t.Context()
			take(t, s, "a", rates, 3)
			if err := s.Reset(ctx, "never-taken"); err != nil {
				t.Fatalf("Reset of an unknown key: %v", err)
			}
			if err := s.Reset(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			if n := keysInUse(t, s); n != 0 {
				t.Fatalf("%d keys in use after Reset, want 0", n)
			}
			take(t, s, "b", rates, 3) // the slot is free for another key
			if err := s.Reset(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			if d := take(t, s, "a", rates, 3); !d.Allowed {
				t.Fatalf("Take of the reset key = %v; want a fresh allowance", d)
			}
		})
	}
}

// TestLongKeys stores keys longer than the limit by digest: each stays its
// own key, found again by the same bytes.
func TestLongKeys(t *testing.T) {
	s := openTest(t, tempPath(t), WithMaxKeyLen(32))
	rates := mustRates(t, "2/h")
	long := strings.Repeat("k", 4096)
	for _, k := range []string{long + "a", long + "b", long, strings.Repeat("k", 33), strings.Repeat("k", 32), ""} {
		for i := range 3 {
			if d := take(t, s, k, rates, 1); d.Allowed != (i < 2) {
				t.Fatalf("Take #%d of a %d-byte key = %v", i, len(k), d)
			}
		}
	}
}

// TestSharedInProcess opens one file twice in one process: both stores see
// one state and one limit.
func TestSharedInProcess(t *testing.T) {
	path := tempPath(t)
	rates := mustRates(t, "3/h")
	s1, s2 := openTest(t, path), openTest(t, path)
	take(t, s1, "a", rates, 2)
	if d := take(t, s2, "a", rates, 2); d.Allowed || d.Remaining != 1 {
		t.Fatalf("Take through the second store = %v; want denied with 1 left", d)
	}
	s1.Close()
	if d := take(t, s2, "a", rates, 1); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("Take after the first store closed = %v", d)
	}
}

// TestClockBehind takes from a store whose clock is behind another's on
// one file, as after a step back of the wall clock: it judges at its own
// reading, counting the units stamped after it, and stores its units with
// the key's newest, so that they count as long as those do, not less.
func TestClockBehind(t *testing.T) {
	path := tempPath(t)
	rates := mustRates(t, "3/s")
	ahead, behind := core.NewFakeClock(1000), core.NewFakeClock(500)
	s, late := openTest(t, path, WithClock(ahead)), openTest(t, path, WithClock(behind))
	take(t, s, "a", rates, 2)
	if d, err := late.Check(t.Context(), "a", rates, 2); err != nil || d.RetryAfter != 1501*time.Millisecond {
		t.Fatalf("Check from a clock behind = %v, %v; want retry in 1.501s (judged at 500)", d, err)
	}
	if d := take(t, late, "a", rates, 1); !d.Allowed || d.Remaining != 0 || d.ResetAfter != 1501*time.Millisecond {
		t.Fatalf("Take from a clock behind = %v; want allowed, 0 left, reset in 1.501s", d)
	}
	ahead.Set(2000) // the unit taken at 500 counts as one taken at 1000
	if d := take(t, s, "a", rates, 1); d.Allowed {
		t.Fatalf("Take at 2000 = %v; want denied", d)
	}
	ahead.Set(2001)
	if d := take(t, s, "a", rates, 3); !d.Allowed {
		t.Fatalf("Take at 2001 = %v", d)
	}
}

// TestClose checks that Close is idempotent, that every method fails with
// ErrClosed after it, and that it leaves no goroutine, descriptor or mapping
// behind.
func TestClose(t *testing.T) {
	ctx := t.Context()
	rates := mustRates(t, "5/s")
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	var paths []string
	for range 20 {
		paths = append(paths, tempPath(t))
		s, err := Open(paths[len(paths)-1])
		if err != nil {
			t.Fatal(err)
		}
		take(t, s, "a", rates, 1)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		for name, call := range map[string]func() error{
			"Take":  func() error { _, err := s.Take(ctx, "a", rates, 1); return err },
			"Check": func() error { _, err := s.Check(ctx, "a", rates, 1); return err },
			"Reset": func() error { return s.Reset(ctx, "a") },
			"Block": func() error { return s.Block(ctx, "a", time.Second) },
		} {
			if err := call(); !errors.Is(err, ratelimit.ErrClosed) {
				t.Fatalf("%s after Close: err = %v, want ErrClosed", name, err)
			}
		}
	}
	if n := openFDs(t); n > fds {
		t.Fatalf("%d descriptors open after Close, %d before", n, fds)
	}
	if maps, err := os.ReadFile("/proc/self/maps"); err == nil { // Linux only
		for _, p := range paths {
			if strings.Contains(string(maps), p) {
				t.Fatalf("%s is still mapped after Close", p)
			}
		}
	}
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Fatalf("%d goroutines after Close, %d before", n, goroutines)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/dev/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestNoAllocs: a take or check of a key's usual rates allocates nothing,
// under every algorithm.
func TestNoAllocs(t *testing.T) {
	rates := mustRates(t, "1000000/100ms, 10000000/s")
	for _, alg := range algorithms {
		s := openTest(t, tempPath(t), WithAlgorithm(alg), WithMaxEntries(1024))
		ctx := t.Context()
		take(t, s, "key", rates, 1)
		if n := testing.AllocsPerRun(1000, func() { s.Take(ctx, "key", rates, 1) }); n != 0 {
			t.Errorf("%s: Take allocates %v times per call, want 0", alg, n)
		}
		if n := testing.AllocsPerRun(1000, func() { s.Check(ctx, "key", rates, 1) }); n != 0 {
			t.Errorf("%s: Check allocates %v times per call, want 0", alg, n)
		}
	}
}

// TestSlotSizes holds the sizes the options' docs give: a key slot with
// the default capacities, per algorithm, and what each entry or rate adds.
func TestSlotSizes(t *testing.T) {
	tests := []struct {
		alg        ratelimit.Algorithm
		opts       []Option
		want, plus int64 // bytes of a slot with the defaults; per entry or rate more (before rounding to 64)
	}{
		{ratelimit.SlidingWindowLog, []Option{WithMaxEntries(DefaultMaxEntries + 4)}, 8448, 16},
		{ratelimit.GCRA, []Option{WithMaxRates(DefaultMaxRates + 4)}, 512, 64},
		{ratelimit.SlidingWindowCounter, []Option{WithMaxRates(DefaultMaxRates + 4)}, 576, 80},
	}
	for _, tt := range tests {
		lay := func(opts ...Option) layout {
			cfg, err := newConfig(append([]Option{WithAlgorithm(tt.alg)}, opts...))
			if err != nil {
				t.Fatal(err)
			}
			l, err := newLayout(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		def, more := lay(), lay(tt.opts...)
		if def.slotSize != tt.want {
			t.Errorf("%s: a slot of the defaults is %d bytes, want %d", tt.alg, def.slotSize, tt.want)
		}
		if got := more.slotSize - def.slotSize; got < 4*tt.plus-63 || got > 4*tt.plus+63 {
			t.Errorf("%s: a slot grows by %d bytes for 4 more, want about %d", tt.alg, got, 4*tt.plus)
		}
		t.Logf("%-22s %5d bytes per key slot with the defaults (+8 of index)", tt.alg, def.slotSize)
	}
}
