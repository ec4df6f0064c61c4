//go:build linux || darwin

package mpstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// damageRates are the rates of the damage tests: every unit they put falls
// inside one second, so a key may hold at most 10 of them.
var damageRates = []ratelimit.Rate{ratelimit.PerSecond(10), ratelimit.PerMinute(100)}

// slotWords locates one key's slot in a store file, for tests that damage
// it: the offsets of its words, and its head and tail (log) or selector
// (constant state) as written.
type slotWords struct {
	lay              layout
	slot             int64
	index, base      int64 // offsets of its index word and of the slot
	head, tail, copy int64
}

func locate(t *testing.T, s *Store, key string) slotWords {
	t.Helper()
	k := newKeyForm(key, s.m.lay.keyLen)
	lay := s.m.lay
	for i := range lay.maxKeys {
		if uint64(readWord(t, s.path, lay.indexOff+8*i)) == k.hash {
			w := slotWords{lay: lay, slot: i, index: lay.indexOff + 8*i, base: lay.slotsOff + i*lay.slotSize}
			w.head, w.tail = readWord(t, s.path, w.base+sHead), readWord(t, s.path, w.base+sTail)
			if lay.alg != algLog {
				w.copy = readWord(t, s.path, w.base+lay.stateOff) & 1
			}
			return w
		}
	}
	t.Fatalf("no slot holds %q", key)
	return slotWords{}
}

func (w slotWords) ts(seq int64) int64     { return w.base + w.lay.ringOff + seq%w.lay.ringLen*16 }
func (w slotWords) before(seq int64) int64 { return w.ts(seq) + 8 }

// state returns the offset of word j of the slot's current state.
func (w slotWords) state(j int64) int64 {
	return w.base + w.lay.stateOff + 8 + w.copy*w.lay.stateLen + 8*j
}

// readWord and writeWord read and write the file as another program
// would, not through the store's mapping.
func readWord(t *testing.T, path string, off int64) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [8]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	return int64(binary.NativeEndian.Uint64(b[:]))
}

func writeWord(t *testing.T, path string, off, v int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], uint64(v))
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}

// apart returns a key whose home slot is neither key's nor the one after:
// neither key's probe passes the other's slot.
func apart(s *Store, key string) string {
	n := uint64(s.m.lay.maxKeys)
	home := newKeyForm(key, s.m.lay.keyLen).hash % n
	for i := 0; ; i++ {
		other := fmt.Sprint("other", i)
		if h := newKeyForm(other, s.m.lay.keyLen).hash % n; h != home && h != (home+1)%n && (h+1)%n != home {
			return other
		}
	}
}

// TestDamagedSlot damages one word of a key's slot, or of its index word,
// behind a valid header, as a stray write or a disk error would. The key
// holds 5 of its 10 units; the store used to take such damage as a key
// with no history (10 more units: 15 inside one second at 10/s) or read
// outside the slot. Now every operation on the key fails with ErrDamaged
// and admits nothing, and a key elsewhere in the table goes on.
func TestDamagedSlot(t *testing.T) {
	type word struct{ off, v int64 }
	log, gcra, counter := ratelimit.AlgorithmSlidingWindowLog, ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter
	tests := []struct {
		name   string
		alg    ratelimit.Algorithm
		damage func(w slotWords) []word
		inSlot bool // Store.Leak, which reads every slot in use, sees it too
		// Only what searches the log by time sees it (Count and Flush
		// read no timestamp: they answer right).
		timestamp bool
	}{
		{"head and tail negative", log, func(w slotWords) []word { return []word{{w.base + sHead, -3}, {w.base + sTail, -3}} }, true, false},
		{"head negative", log, func(w slotWords) []word { return []word{{w.base + sHead, -1}} }, true, false},
		{"head after tail", log, func(w slotWords) []word { return []word{{w.base + sHead, w.tail + 1}} }, true, false},
		{"more entries than the ring holds", log, func(w slotWords) []word { return []word{{w.base + sTail, w.head + w.lay.maxEntries + 1}} }, true, false},
		{"tail far away", log, func(w slotWords) []word { return []word{{w.base + sTail, 1 << 60}} }, true, false},
		{"total below the oldest entry's", log, func(w slotWords) []word { return []word{{w.before(w.tail), -7}} }, true, false},
		{"more units than the rates admit", log, func(w slotWords) []word { return []word{{w.before(w.tail), 1 << 40}} }, true, false},
		{"oldest entry newer than the newest", log, func(w slotWords) []word { return []word{{w.ts(w.head), 1 << 50}} }, true, false},
		{"an entry stamped outside the log", log, func(w slotWords) []word { return []word{{w.ts(w.head + 2), -1 << 50}} }, false, true},
		{"index word of another key", log, func(w slotWords) []word { return []word{{w.index, -0x7fff_ffff_2152_4111}} }, false, false},
		{"index word not one the store writes", log, func(w slotWords) []word { return []word{{w.index, 12345}} }, false, false},
		{"key length garbled", log, func(w slotWords) []word { return []word{{w.base + sNames, 1 << 40}} }, false, false},
		{"key bytes changed", log, func(w slotWords) []word { return []word{{w.base + sNames + 8, 0x5858585858585858}} }, false, false},
		{"GCRA remainder at the limit", gcra, func(w slotWords) []word { return []word{{w.state(1), 10}} }, true, false},
		{"GCRA index word of another key", gcra, func(w slotWords) []word { return []word{{w.index, -0x7fff_ffff_2152_4111}} }, false, false},
		{"counter above the limit", counter, func(w slotWords) []word { return []word{{w.state(2), 11}} }, true, false},
		{"counter negative", counter, func(w slotWords) []word { return []word{{w.state(1), -1}} }, true, false},
		{"counter window misaligned", counter, func(w slotWords) []word { return []word{{w.state(0), 1001}} }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			clock := ratelimit.NewFakeClock(1000)
			s := openTest(t, filepath.Join(t.TempDir(), "store"), damageRates, WithClock(clock), WithMaxKeys(16), WithAlgorithm(tt.alg))
			other := apart(s, "victim")
			for ms := range int64(5) {
				clock.Set(1000 + ms)
				for _, key := range []string{"victim", other} {
					if d, err := s.Acquire(ctx, key, 1); err != nil || !d.Allowed {
						t.Fatalf("Acquire %s = %+v, %v", key, d, err)
					}
				}
			}
			for _, w := range tt.damage(locate(t, s, "victim")) {
				writeWord(t, s.path, w.off, w.v)
			}
			clock.Set(1010)
			for i := range 10 {
				if d, err := s.Acquire(ctx, "victim", 1); !errors.Is(err, ErrDamaged) || d.Allowed {
					t.Fatalf("Acquire #%d of the damaged key = %+v, %v; want ErrDamaged", i, d, err)
				}
			}
			b, _ := s.Bucket(ctx, "victim")
			if tt.alg == log {
				if _, _, err := b.Peek(ctx, 2); !errors.Is(err, ErrDamaged) {
					t.Fatalf("Peek of the damaged key: err = %v, want ErrDamaged", err)
				}
			}
			if n, err := b.Count(ctx); !tt.timestamp && !errors.Is(err, ErrDamaged) {
				t.Fatalf("Count of the damaged key = %d, %v; want ErrDamaged", n, err)
			}
			if err := b.Flush(ctx); !tt.timestamp && !errors.Is(err, ErrDamaged) {
				t.Fatalf("Flush of the damaged key: err = %v, want ErrDamaged", err)
			}
			for i := range 5 {
				if d, err := s.Acquire(ctx, other, 1); err != nil || !d.Allowed {
					t.Fatalf("Acquire #%d of a sound key = %+v, %v", i, d, err)
				}
			}
			if d, err := s.Acquire(ctx, other, 1); err != nil || d.Allowed {
				t.Fatalf("Acquire of a sound key past its limit = %+v, %v", d, err)
			}
			// Leak leaks the sound key, leaves the damaged slot and says so.
			want := int64(10) // the sound key's units; the constant states release it and report 0
			if tt.alg != log {
				want = 0
			}
			if n, err := s.Leak(ctx, 1<<40); tt.inSlot && (n != want || !errors.Is(err, ErrDamaged)) {
				t.Fatalf("Leak = %d, %v; want %d and ErrDamaged", n, err, want)
			}
			ob, _ := s.Bucket(ctx, other)
			if n, err := ob.Count(ctx); err != nil || n != 0 {
				t.Fatalf("Count of the sound key after Leak = %d, %v; want 0", n, err)
			}
		})
	}
}

// TestRandomDamage writes random words over random places of the body of
// store files (index and slots; the header stays valid), with a fixed
// seed, and then uses every key: each operation either fails with
// ErrDamaged (or ErrFull, when the damage makes keys look full) or
// decides, the process never faults, and no key is admitted past its
// limit, unless the damage hit a word the store takes at face value (see
// faceValue).
func TestRandomDamage(t *testing.T) {
	const trials, keys, limit = 150, 6, 10
	for i, alg := range []ratelimit.Algorithm{ratelimit.AlgorithmSlidingWindowLog, ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			rng := rand.New(rand.NewPCG(2026, uint64(i)))
			var detected, trusted, overAdmitted int
			for trial := range trials {
				clock := ratelimit.NewFakeClock(1000)
				s, err := Open(filepath.Join(t.TempDir(), fmt.Sprint(trial)), damageRates,
					WithClock(clock), WithMaxKeys(8), WithMaxEntries(16), WithAlgorithm(alg))
				if err != nil {
					t.Fatal(err)
				}
				// Keys hold 0 to 10 units put over 10 ms, in weights of 1 to 3.
				held := make([]int64, keys)
				for ms := range int64(10) {
					clock.Set(1000 + ms)
					for k := range keys {
						w := 1 + rng.Int64N(3)
						if rng.IntN(2) == 0 || held[k]+w > limit {
							continue
						}
						if d, err := s.Acquire(ctx, fmt.Sprint("k", k), w); err != nil || !d.Allowed {
							t.Fatalf("trial %d: Acquire k%d = %+v, %v", trial, k, d, err)
						}
						held[k] += w
					}
				}
				face := map[int64]int{} // offset -> key whose word it is
				for k := range keys {
					if held[k] > 0 {
						for _, off := range faceValue(t, s, locate(t, s, fmt.Sprint("k", k))) {
							face[off] = k
						}
					}
				}
				var live []int64 // the words the keys' slots use
				slots := make([]int64, keys)
				for k := range keys {
					slots[k] = -1
					if held[k] > 0 {
						w := locate(t, s, fmt.Sprint("k", k))
						live, slots[k] = append(live, liveWords(w)...), w.slot
					}
				}
				exempt := make([]bool, keys)
				var damage []string
				for range 1 + rng.IntN(3) {
					// Half anywhere in the body, half where it matters.
					off := s.m.lay.indexOff + 8*rng.Int64N((s.m.lay.size-s.m.lay.indexOff)/8)
					if rng.IntN(2) == 0 && len(live) > 0 {
						off = live[rng.IntN(len(live))]
					}
					v := int64(rng.Uint64())
					writeWord(t, s.path, off, v)
					damage = append(damage, describe(s.m.lay, off, v))
					if k, ok := face[off]; ok {
						exempt[k] = true
					}
				}

				clock.Set(1010)
				for _, k := range rng.Perm(keys) {
					name := fmt.Sprint("k", k)
					var admitted int64
					for range 2 * limit {
						d, err := s.Acquire(ctx, name, 1)
						if errors.Is(err, ErrDamaged) || errors.Is(err, ErrFull) {
							detected++
							break
						}
						if err != nil {
							t.Fatalf("trial %d: Acquire %s: %v", trial, name, err)
						}
						if d.Allowed {
							admitted++
						}
					}
					switch {
					case held[k]+admitted <= limit:
					case exempt[k]:
						trusted++
					default:
						overAdmitted++
						t.Errorf("trial %d: %s (slot %d) held %d units and was admitted %d more, over its limit of %d; damage: %v",
							trial, name, slots[k], held[k], admitted, limit, damage)
					}
					b, _ := s.Bucket(ctx, name)
					for _, err := range []error{
						func() error { _, err := b.Count(ctx); return err }(),
						func() error { _, _, err := b.Peek(ctx, 0); return err }(),
						func() error { _, err := b.Waiting(ctx, ratelimit.Item{Name: name, Time: 1010, Weight: 1}); return err }(),
					} {
						if err != nil && !errors.Is(err, ErrDamaged) && !errors.Is(err, ratelimit.ErrNoHistory) {
							t.Fatalf("trial %d: %s: %v", trial, name, err)
						}
					}
				}
				if _, err := s.Leak(ctx, 1010); err != nil && !errors.Is(err, ErrDamaged) {
					t.Fatalf("trial %d: Leak: %v", trial, err)
				}
				if _, err := s.Len(); err != nil {
					t.Fatalf("trial %d: Len: %v", trial, err)
				}
				s.Close()
			}
			t.Logf("%d trials: %d keys refused (damage detected), %d over-admitted through words taken at face value", trials, detected, trusted)
		})
	}
}

// faceValue returns the offsets of the words of a key's slot that the
// store cannot check, as its documentation says: with the log, the
// timestamps of its entries (one moved within the log's order reads as
// true); with GCRA, the selector (which makes the previous state current)
// and the theoretical arrival times; with the counter, the selector and
// the windows' starts.
func faceValue(t *testing.T, s *Store, w slotWords) []int64 {
	t.Helper()
	var offs []int64
	switch w.lay.alg {
	case algLog:
		for seq := w.head; seq < w.tail; seq++ {
			offs = append(offs, w.ts(seq))
		}
	case algGCRA:
		offs = append(offs, w.base+w.lay.stateOff)
		for i := range int64(len(s.rates)) {
			offs = append(offs, w.state(2*i))
		}
	case algCounter:
		offs = append(offs, w.base+w.lay.stateOff)
		for i := range int64(len(s.rates)) {
			offs = append(offs, w.state(3*i))
		}
	}
	return offs
}

// liveWords returns the offsets of the words a key's slot uses: its index
// word, its log's sequence numbers and entries or its state, and its key
// record's length and first bytes.
func liveWords(w slotWords) []int64 {
	offs := []int64{w.index, w.base + sNames, w.base + sNames + 8}
	if w.lay.alg == algLog {
		offs = append(offs, w.base+sHead, w.base+sTail)
		for seq := w.head; seq <= w.tail; seq++ {
			offs = append(offs, w.ts(seq), w.before(seq))
		}
		return offs
	}
	for j := int64(0); j <= 2*w.lay.stateLen/8; j++ {
		offs = append(offs, w.base+w.lay.stateOff+8*j)
	}
	return offs
}

// describe says where off lies in a file of layout lay, for failures.
func describe(lay layout, off, v int64) string {
	if off < lay.slotsOff {
		return fmt.Sprintf("index word %d = %#x", (off-lay.indexOff)/8, v)
	}
	return fmt.Sprintf("slot %d byte %d = %#x", (off-lay.slotsOff)/lay.slotSize, (off-lay.slotsOff)%lay.slotSize, v)
}

// TestDamagedKeyRecordAndIndexWord overwrites both a key's index word (with
// another key's) and its name: find then passes the slot as another key's
// and reports the key absent. claim's check of the probe (every key record
// passed hashes to its index word) turns the put into ErrDamaged, where the
// key would otherwise start again with a full allowance.
func TestDamagedKeyRecordAndIndexWord(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.AlgorithmSlidingWindowLog, ratelimit.AlgorithmGCRA, ratelimit.AlgorithmSlidingWindowCounter} {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			clock := ratelimit.NewFakeClock(1000)
			s := openTest(t, filepath.Join(t.TempDir(), "store"), damageRates, WithClock(clock), WithMaxKeys(16), WithAlgorithm(alg))
			if d, err := s.Acquire(ctx, "victim", 10); err != nil || !d.Allowed {
				t.Fatalf("Acquire of the limit = %+v, %v", d, err)
			}
			w := locate(t, s, "victim")
			writeWord(t, s.path, w.index, -0x7fff_ffff_2152_4111)
			writeWord(t, s.path, w.base+sNames+8, 0x5858585858585858)
			if d, err := s.Acquire(ctx, "victim", 1); !errors.Is(err, ErrDamaged) || d.Allowed {
				t.Fatalf("Acquire of the damaged key = %+v, %v; want ErrDamaged", d, err)
			}
		})
	}
}

// TestDamagedHeader overwrites the magic word of a store's file, as a
// stray write would: lock's check of the header makes the store's
// operations fail with ErrDamaged, where they used to go on in a file
// with no header.
func TestDamagedHeader(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, filepath.Join(t.TempDir(), "store"), damageRates, WithMaxKeys(16))
	if d, err := s.Acquire(ctx, "k", 1); err != nil || !d.Allowed {
		t.Fatalf("Acquire = %+v, %v", d, err)
	}
	writeWord(t, s.path, hMagic, 0)
	if d, err := s.Acquire(ctx, "k", 1); !errors.Is(err, ErrDamaged) || d.Allowed {
		t.Fatalf("Acquire with the header gone = %+v, %v; want ErrDamaged", d, err)
	}
	if _, err := s.Len(); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Len with the header gone: err = %v, want ErrDamaged", err)
	}
}
