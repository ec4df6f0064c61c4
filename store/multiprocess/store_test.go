//go:build linux || darwin

package mpstore_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	mpstore "github.com/gorate/ratelimit/store/multiprocess"
)

func TestOpenRejectsBadInput(t *testing.T) {
	good := []ratelimit.Rate{ratelimit.PerSecond(1)}
	tests := []struct {
		name  string
		rates []ratelimit.Rate
		opts  []mpstore.Option
		want  error
	}{
		{"no rates", nil, nil, ratelimit.ErrInvalidRates},
		{"zero limit", []ratelimit.Rate{ratelimit.PerSecond(0)}, nil, ratelimit.ErrInvalidRate},
		{"bad list", []ratelimit.Rate{ratelimit.PerMinute(3), ratelimit.PerDay(1)}, nil, ratelimit.ErrInvalidRates},
		{"nil clock", good, []mpstore.Option{mpstore.WithClock(nil)}, ratelimit.ErrInvalidArgument},
		{"zero keys", good, []mpstore.Option{mpstore.WithMaxKeys(0)}, ratelimit.ErrInvalidArgument},
		{"zero entries", good, []mpstore.Option{mpstore.WithMaxEntries(0)}, ratelimit.ErrInvalidArgument},
		{"short keys", good, []mpstore.Option{mpstore.WithMaxKeyLen(16)}, ratelimit.ErrInvalidArgument},
		{"huge file", good, []mpstore.Option{mpstore.WithMaxKeys(1 << 22), mpstore.WithMaxEntries(1 << 22)}, ratelimit.ErrInvalidArgument},
		{"unknown algorithm", good, []mpstore.Option{mpstore.WithAlgorithm("leaky-bucket")}, ratelimit.ErrInvalidArgument},
		{"gcra inexact", []ratelimit.Rate{ratelimit.PerSecond(1 << 44)}, []mpstore.Option{mpstore.WithAlgorithm(ratelimit.AlgorithmGCRA)}, ratelimit.ErrInvalidRates},
		{"counter inexact", []ratelimit.Rate{ratelimit.PerSecond(1 << 44)}, []mpstore.Option{mpstore.WithAlgorithm(ratelimit.AlgorithmSlidingWindowCounter)}, ratelimit.ErrInvalidRates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			if _, err := mpstore.Open(path, tt.rates, tt.opts...); !errors.Is(err, tt.want) {
				t.Fatalf("Open: err = %v, want %v", err, tt.want)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused Open left a file behind: %v", err)
			}
		})
	}
}

// TestReopen opens an existing file with the layout it was made with (fine,
// state kept) and with others (refused, naming the difference, file
// untouched).
func TestReopen(t *testing.T) {
	rates := []ratelimit.Rate{ratelimit.PerSecond(5)}
	path := tempPath(t)
	s := openStore(t, path, rates, mpstore.WithMaxKeys(64))
	s.Acquire(t.Context(), "a", 2)
	s.Close()
	tests := []struct {
		name  string
		rates []ratelimit.Rate
		opts  []mpstore.Option
		want  string // in the error; "" for none
	}{
		{"same", rates, []mpstore.Option{mpstore.WithMaxKeys(64)}, ""},
		{"other rates", []ratelimit.Rate{ratelimit.PerSecond(6)}, []mpstore.Option{mpstore.WithMaxKeys(64)}, "enforces 5/s, not 6/s"},
		{"more rates", []ratelimit.Rate{ratelimit.PerSecond(5), ratelimit.PerMinute(100)}, []mpstore.Option{mpstore.WithMaxKeys(64)}, "enforces 5/s, not 5/s, 100/min"},
		{"other keys", rates, nil, "64 key slots, not 4096"},
		{"other entries", rates, []mpstore.Option{mpstore.WithMaxKeys(64), mpstore.WithMaxEntries(99)}, "10 entries per key, not 99"},
		{"other key length", rates, []mpstore.Option{mpstore.WithMaxKeys(64), mpstore.WithMaxKeyLen(64)}, "128 bytes of key, not 64"},
		{"other algorithm", rates, []mpstore.Option{mpstore.WithMaxKeys(64), mpstore.WithAlgorithm(ratelimit.AlgorithmGCRA)}, "uses the algorithm sliding-window-log, not gcra"},
		{"log named", rates, []mpstore.Option{mpstore.WithMaxKeys(64), mpstore.WithAlgorithm(ratelimit.AlgorithmSlidingWindowLog)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := mpstore.Open(path, tt.rates, tt.opts...)
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
			b, _ := s.Bucket(t.Context(), "a")
			if n, err := b.Count(t.Context()); err != nil || n != 2 {
				t.Fatalf("Count after reopening = %d, %v; want 2", n, err)
			}
		})
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
			if _, err := mpstore.Open(path, []ratelimit.Rate{ratelimit.PerSecond(1)}); !errors.Is(err, ratelimit.ErrInvalidArgument) {
				t.Fatalf("Open: err = %v, want ErrInvalidArgument", err)
			}
			if got, _ := os.ReadFile(path); string(got) != string(tt.content) {
				t.Fatal("Open changed a file that is not a store")
			}
		})
	}
}

// TestKeySlotsFull fills a table of three slots: a new key fails with
// ErrFull while every key still counts, known keys go on, and idle keys give
// up their slots.
func TestKeySlotsFull(t *testing.T) {
	clock := ratelimit.NewFakeClock(0)
	s := openStore(t, tempPath(t), []ratelimit.Rate{ratelimit.PerSecond(5)}, mpstore.WithClock(clock), mpstore.WithMaxKeys(3))
	ctx := t.Context()
	for i := range 3 {
		if d, err := s.Acquire(ctx, fmt.Sprint("k", i), 1); err != nil || !d.Allowed {
			t.Fatalf("Acquire k%d = %+v, %v", i, d, err)
		}
	}
	clock.Set(1000) // the units at 0 still count
	if d, err := s.Acquire(ctx, "k3", 1); !errors.Is(err, mpstore.ErrFull) || d.Allowed {
		t.Fatalf("Acquire past the slots = %+v, %v; want ErrFull", d, err)
	}
	if d, err := s.Acquire(ctx, "k3", 0); err != nil || !d.Allowed {
		t.Fatalf("weight 0 needs no slot: %+v, %v", d, err)
	}
	if d, err := s.Acquire(ctx, "k0", 1); err != nil || !d.Allowed {
		t.Fatalf("Acquire of a known key with the table full = %+v, %v", d, err)
	}
	clock.Set(1001) // k1 and k2 are idle, k0 is not
	for _, k := range []string{"k3", "k4"} {
		if d, err := s.Acquire(ctx, k, 1); err != nil || !d.Allowed {
			t.Fatalf("Acquire %s after keys went idle = %+v, %v", k, d, err)
		}
	}
	if _, err := s.Acquire(ctx, "k5", 1); !errors.Is(err, mpstore.ErrFull) {
		t.Fatalf("Acquire k5: err = %v, want ErrFull", err)
	}
	b, _ := s.Bucket(ctx, "k0")
	if n, _ := b.Count(ctx); n != 2 {
		t.Fatalf("k0 holds %d units, want 2 (an active key is never dropped)", n)
	}
	if n, err := s.Len(); err != nil || n != 3 {
		t.Fatalf("Len = %d, %v; want 3", n, err)
	}
}

// TestRingFull fills one key's ring with entries inside the window: a put
// the rates would admit fails with ErrFull and stores nothing.
func TestRingFull(t *testing.T) {
	clock := ratelimit.NewFakeClock(0)
	s := openStore(t, tempPath(t), []ratelimit.Rate{ratelimit.PerSecond(100)}, mpstore.WithClock(clock), mpstore.WithMaxEntries(4))
	ctx := t.Context()
	for ms := range int64(4) {
		clock.Set(ms)
		s.Acquire(ctx, "k", 1)
	}
	if d, err := s.Acquire(ctx, "k", 1); err != nil || !d.Allowed {
		t.Fatalf("a put in the newest entry's millisecond merges: %+v, %v", d, err)
	}
	clock.Set(4)
	if d, err := s.Acquire(ctx, "k", 1); !errors.Is(err, mpstore.ErrFull) || d.Allowed {
		t.Fatalf("Acquire into a full ring = %+v, %v; want ErrFull", d, err)
	}
	b, _ := s.Bucket(ctx, "k")
	if n, _ := b.Count(ctx); n != 5 {
		t.Fatalf("Count = %d, want 5: the refused put stored nothing", n)
	}
	clock.Set(1001) // the entry at 0 left the window: its room is reclaimed
	if d, err := s.Acquire(ctx, "k", 1); err != nil || !d.Allowed {
		t.Fatalf("Acquire once the oldest entry left the window = %+v, %v", d, err)
	}
	if n, _ := b.Count(ctx); n != 5 {
		t.Fatalf("Count = %d, want 5 (one unit reclaimed, one added)", n)
	}
}

// TestLongKeys stores keys longer than the limit by digest: each stays its
// own key, found again by the same bytes.
func TestLongKeys(t *testing.T) {
	s := openStore(t, tempPath(t), []ratelimit.Rate{ratelimit.PerHour(2)}, mpstore.WithMaxKeyLen(32))
	ctx := t.Context()
	long := strings.Repeat("k", 4096)
	keys := []string{long + "a", long + "b", long, strings.Repeat("k", 33), strings.Repeat("k", 32)}
	for _, k := range keys {
		for i := range 3 {
			d, err := s.Acquire(ctx, k, 1)
			if err != nil || d.Allowed != (i < 2) {
				t.Fatalf("Acquire #%d of a %d-byte key = %+v, %v", i, len(k), d, err)
			}
		}
	}
	b, _ := s.Bucket(ctx, long+"a")
	it, ok, err := b.Peek(ctx, 0)
	if err != nil || !ok || it.Name != long+"a" {
		t.Fatalf("Peek of a long key = %.40v, %v, %v", it, ok, err)
	}
	// A long name put through another key's view is counted, and reported
	// under that key's name.
	short, _ := s.Bucket(ctx, "short")
	short.PutNow(ctx, long, 1)
	if it, _, _ := short.Peek(ctx, 0); it.Name != "short" {
		t.Fatalf("Peek of a long alias = %.40v, want the key's name", it)
	}
}

// TestManyNamesInOneBucket puts more names through one key's view than it
// keeps: the limit stays exact, and Peek reports the extra names under the
// key's.
func TestManyNamesInOneBucket(t *testing.T) {
	s := openStore(t, tempPath(t), []ratelimit.Rate{ratelimit.PerHour(20)})
	ctx := t.Context()
	b, _ := s.Bucket(ctx, "global")
	for i := range 25 {
		d, err := b.PutNow(ctx, fmt.Sprint("user", i), 1)
		if err != nil || d.Allowed != (i < 20) {
			t.Fatalf("PutNow user%d = %+v, %v", i, d, err)
		}
	}
	names := map[string]int{}
	for i := range int64(20) {
		it, _, _ := b.Peek(ctx, i)
		names[it.Name]++
	}
	if len(names) != 8 || names["global"] != 13 || names["user0"] != 1 || names["user6"] != 1 {
		t.Fatalf("names Peek reports = %v; want user0..user6 and 13 under global", names)
	}
}

// TestSharedInProcess opens one file twice in one process: both stores see
// one state and one limit.
func TestSharedInProcess(t *testing.T) {
	path := tempPath(t)
	rates := []ratelimit.Rate{ratelimit.PerHour(3)}
	s1, s2 := openStore(t, path, rates), openStore(t, path, rates)
	ctx := t.Context()
	s1.Acquire(ctx, "a", 2)
	if d, err := s2.Acquire(ctx, "a", 2); err != nil || d.Allowed || d.Remaining != 1 {
		t.Fatalf("Acquire through the second store = %+v, %v; want denied with 1 left", d, err)
	}
	s1.Close()
	if d, err := s2.Acquire(ctx, "a", 1); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Fatalf("Acquire after the first store closed = %+v, %v", d, err)
	}
}

// TestStampsNeverGoBack steps the clock back: PutNow stamps with the
// latest time already applied, in this store or another on the file.
func TestStampsNeverGoBack(t *testing.T) {
	path := tempPath(t)
	rates := []ratelimit.Rate{ratelimit.PerSecond(2)}
	clock, behind := ratelimit.NewFakeClock(1000), ratelimit.NewFakeClock(500)
	s := openStore(t, path, rates, mpstore.WithClock(clock))
	late := openStore(t, path, rates, mpstore.WithClock(behind))
	ctx := t.Context()
	b, _ := s.Bucket(ctx, "a")
	if _, err := b.Put(ctx, ratelimit.Item{Name: "a", Time: 0, Weight: 2}); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Leak(ctx, 1001); n != 2 {
		t.Fatalf("Leak(1001) removed %d units, want 2", n)
	}
	d, err := late.Acquire(ctx, "a", 1)
	if err != nil || !d.Allowed || d.Time != 1000 {
		t.Fatalf("Acquire from a clock behind = %+v, %v; want stamped at 1000 (the leak's clock, not the future 1001)", d, err)
	}
	lb, _ := late.Bucket(ctx, "a")
	if now, _ := lb.Now(ctx); now != 1000 {
		t.Fatalf("Now on the clock behind = %d, want 1000", now)
	}
	clock.Set(2000)
	if d, _ := s.Acquire(ctx, "a", 1); d.Time != 2000 {
		t.Fatalf("Acquire stamped %d, want the clock's 2000", d.Time)
	}
}

// TestStoreLeak trims every key and releases the emptied ones.
func TestStoreLeak(t *testing.T) {
	clock := ratelimit.NewFakeClock(0)
	s := openStore(t, tempPath(t), []ratelimit.Rate{ratelimit.PerSecond(5)}, mpstore.WithClock(clock))
	ctx := t.Context()
	for i := range 10 {
		s.Acquire(ctx, fmt.Sprint("old", i), 2)
	}
	clock.Set(600)
	s.Acquire(ctx, "fresh", 1)
	if n, err := s.Leak(ctx, 1000); err != nil || n != 0 {
		t.Fatalf("Leak(1000) = %d, %v; want 0 (the edge is inclusive)", n, err)
	}
	if n, err := s.Leak(ctx, 1001); err != nil || n != 20 {
		t.Fatalf("Leak(1001) = %d, %v; want 20", n, err)
	}
	if n, _ := s.Len(); n != 1 {
		t.Fatalf("Len = %d after the leak, want 1", n)
	}
	if d, err := s.Acquire(ctx, "old3", 5); err != nil || !d.Allowed {
		t.Fatalf("Acquire of a released key = %+v, %v", d, err)
	}
}

// TestClose checks that Close is idempotent, that every method fails with
// ErrClosed after it, and that it leaves no goroutine, descriptor or mapping
// behind.
func TestClose(t *testing.T) {
	ctx := t.Context()
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	var paths []string
	for range 20 {
		paths = append(paths, tempPath(t))
		s, err := mpstore.Open(paths[len(paths)-1], []ratelimit.Rate{ratelimit.PerSecond(5)})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := s.Bucket(ctx, "a")
		s.Acquire(ctx, "a", 1)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		for name, call := range map[string]func() error{
			"Acquire": func() error { _, err := s.Acquire(ctx, "a", 1); return err },
			"Bucket":  func() error { _, err := s.Bucket(ctx, "a"); return err },
			"Leak":    func() error { _, err := s.Leak(ctx, 0); return err },
			"Len":     func() error { _, err := s.Len(); return err },
			"Count":   func() error { _, err := b.Count(ctx); return err },
			"Peek":    func() error { _, _, err := b.Peek(ctx, 0); return err },
			"Now":     func() error { _, err := b.Now(ctx); return err },
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

func TestAcquireNoAllocs(t *testing.T) {
	s := openStore(t, tempPath(t), []ratelimit.Rate{ratelimit.PerSecond(1 << 40)})
	ctx := t.Context()
	for range 1000 {
		s.Acquire(ctx, "key", 1)
	}
	if n := testing.AllocsPerRun(1000, func() { s.Acquire(ctx, "key", 1) }); n != 0 {
		t.Fatalf("Acquire allocates %v times per call, want 0", n)
	}
}

func TestNewLimiter(t *testing.T) {
	path := tempPath(t)
	rates := []ratelimit.Rate{ratelimit.PerHour(2)}
	l1, err := mpstore.NewLimiter(path, rates)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	l2, err := mpstore.NewLimiter(path, rates, ratelimit.WithName("job"))
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	ctx := t.Context()
	l1.Allow(ctx, "job")
	l2.Allow(ctx, "")
	if d, err := l1.Allow(ctx, "job"); err != nil || d.Allowed {
		t.Fatalf("third Allow across two limiters = %+v, %v; want denied", d, err)
	}
	if _, err := mpstore.NewLimiter(path, rates, ratelimit.WithBuffer(-1)); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("NewLimiter with a bad option: err = %v", err)
	}
}
