//go:build linux || darwin

package mpstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// damageRates are the rates of the damage tests: every unit they take
// falls inside one second, so a key may hold at most 10 of them. Their log
// needs 100 entries (damageEntries).
var damageRates = ratelimit.Rates{ratelimit.PerSecond(10), ratelimit.PerMinute(100)}

const damageEntries = 100

var algorithms = []ratelimit.Algorithm{ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter}

// slotWords locates one key's slot in a store file, for tests that damage
// it: the offsets of its words, and its head and tail (log) or current
// copy (constant state) as written.
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
			if lay.alg == algLog {
				w.head, w.tail = readWord(t, s.path, w.log(lHead)), readWord(t, s.path, w.log(lTail))
			} else {
				w.copy = readWord(t, s.path, w.base+lay.stateOff) & 1
			}
			return w
		}
	}
	t.Fatalf("no slot holds %q", key)
	return slotWords{}
}

// log returns the offset of the log's word at off (lHead, ...).
func (w slotWords) log(off int64) int64    { return w.base + w.lay.logOff + off }
func (w slotWords) ts(seq int64) int64     { return w.base + w.lay.ringOff + seq%w.lay.ringLen*16 }
func (w slotWords) before(seq int64) int64 { return w.ts(seq) + 8 }

// state returns the offset of word j of the slot's current copy: 0 is the
// count of rates, and rate i's record starts at 1 + i×stride.
func (w slotWords) state(j int64) int64 {
	return w.base + w.lay.stateOff + 8 + w.copy*w.lay.copyLen + 8*j
}

// rate returns the offset of word j of rate i's record in the current
// copy: its limit (0), interval (1), then its state.
func (w slotWords) rate(i, j int64) int64 { return w.state(1 + i*w.lay.stride + j) }

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

// TestDamagedSlot damages one word of a key's slot, or its index word,
// behind a valid header, as a stray write or a disk error would. The key
// holds 5 of its 10 units; taken as a key with no history, it would get
// 10 more (15 inside one second at 10/s), or the store would read outside
// the slot. Instead every call on the key fails with ErrDamaged and admits
// nothing, a key elsewhere in the table goes on, and a sweep never
// releases the damaged slot.
func TestDamagedSlot(t *testing.T) {
	type word struct{ off, v int64 }
	log, gcra, counter := ratelimit.SlidingWindowLog, ratelimit.GCRA, ratelimit.SlidingWindowCounter
	tests := []struct {
		name   string
		alg    ratelimit.Algorithm
		damage func(w slotWords) []word
		// inSlot: the damage is in the slot's log or state, which Reset
		// and a sweep read too (not in its index word or key record).
		inSlot bool
		// timestamp: only what searches the log by time sees it (a
		// sweep and Reset read no timestamp inside the log).
		timestamp bool
	}{
		{"head and tail negative", log, func(w slotWords) []word { return []word{{w.log(lHead), -3}, {w.log(lTail), -3}} }, true, false},
		{"head negative", log, func(w slotWords) []word { return []word{{w.log(lHead), -1}} }, true, false},
		{"head after tail", log, func(w slotWords) []word { return []word{{w.log(lHead), w.tail + 1}} }, true, false},
		{"more entries than the ring holds", log, func(w slotWords) []word { return []word{{w.log(lTail), w.head + w.lay.maxEntries + 1}} }, true, false},
		{"tail far away", log, func(w slotWords) []word { return []word{{w.log(lTail), 1 << 60}} }, true, false},
		{"kept interval zero", log, func(w slotWords) []word { return []word{{w.log(lKeep), 0}} }, true, false},
		{"kept interval beyond the longest", log, func(w slotWords) []word { return []word{{w.log(lKeep), maxKeep + 1}} }, true, false},
		{"largest entry zero", log, func(w slotWords) []word { return []word{{w.log(lWMax), 0}} }, true, false},
		{"total below the oldest entry's", log, func(w slotWords) []word { return []word{{w.before(w.tail), -7}} }, true, false},
		{"more units than entries hold", log, func(w slotWords) []word { return []word{{w.before(w.tail), 1 << 40}} }, true, false},
		{"oldest entry newer than the newest", log, func(w slotWords) []word { return []word{{w.ts(w.head), 1 << 50}} }, true, false},
		{"an entry stamped outside the log", log, func(w slotWords) []word { return []word{{w.ts(w.head + 2), -1 << 50}} }, true, true},
		{"index word of another key", log, func(w slotWords) []word { return []word{{w.index, -0x7fff_ffff_2152_4111}} }, false, false},
		{"index word not one the store writes", log, func(w slotWords) []word { return []word{{w.index, 12345}} }, false, false},
		{"key length garbled", log, func(w slotWords) []word { return []word{{w.base, 1 << 40}} }, false, false},
		{"key bytes changed", log, func(w slotWords) []word { return []word{{w.base + 8, 0x5858585858585858}} }, false, false},
		{"GCRA remainder at the limit", gcra, func(w slotWords) []word { return []word{{w.rate(0, 3), 10}} }, true, false},
		{"GCRA arrival beyond exact arithmetic", gcra, func(w slotWords) []word { return []word{{w.rate(0, 2), 1 << 60}} }, true, false},
		{"GCRA no rates", gcra, func(w slotWords) []word { return []word{{w.state(0), 0}} }, true, false},
		{"GCRA more rates than a slot holds", gcra, func(w slotWords) []word { return []word{{w.state(0), w.lay.maxRates + 1}} }, true, false},
		{"GCRA limit zero", gcra, func(w slotWords) []word { return []word{{w.rate(0, 0), 0}} }, true, false},
		{"GCRA intervals not increasing", gcra, func(w slotWords) []word { return []word{{w.rate(1, 1), 1000}} }, true, false},
		{"GCRA rate beyond exact arithmetic", gcra, func(w slotWords) []word { return []word{{w.rate(0, 0), 1 << 50}} }, true, false},
		{"GCRA index word of another key", gcra, func(w slotWords) []word { return []word{{w.index, -0x7fff_ffff_2152_4111}} }, false, false},
		{"counter beyond exact arithmetic", counter, func(w slotWords) []word { return []word{{w.rate(0, 4), core.MaxExact/1000 + 1}} }, true, false},
		{"counter negative", counter, func(w slotWords) []word { return []word{{w.rate(0, 3), -1}} }, true, false},
		{"counter window misaligned", counter, func(w slotWords) []word { return []word{{w.rate(0, 2), 1001}} }, true, false},
		{"counter window ahead of the clock", counter, func(w slotWords) []word { return []word{{w.rate(0, 2), 4_000_000_000_000_000_000}} }, true, false},
		{"counter interval negative", counter, func(w slotWords) []word { return []word{{w.rate(1, 1), -60000}} }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			clock := core.NewFakeClock(1000)
			s := openTest(t, tempPath(t), WithClock(clock), WithMaxKeys(16), WithMaxEntries(damageEntries), WithAlgorithm(tt.alg))
			other := apart(s, "victim")
			for ms := range int64(5) {
				clock.Set(1000 + ms)
				for _, key := range []string{"victim", other} {
					if d := take(t, s, key, damageRates, 1); !d.Allowed {
						t.Fatalf("Take %s = %v", key, d)
					}
				}
			}
			for _, w := range tt.damage(locate(t, s, "victim")) {
				writeWord(t, s.path, w.off, w.v)
			}
			clock.Set(1010)
			for i := range 10 {
				if d, err := s.Take(ctx, "victim", damageRates, 1); !errors.Is(err, ErrDamaged) || d.Allowed {
					t.Fatalf("Take #%d of the damaged key = %v, %v; want ErrDamaged", i, d, err)
				}
			}
			if d, err := s.Check(ctx, "victim", damageRates, 1); !errors.Is(err, ErrDamaged) || d.Allowed {
				t.Fatalf("Check of the damaged key = %v, %v; want ErrDamaged", d, err)
			}
			if err := s.Reset(ctx, "victim"); !tt.timestamp && !errors.Is(err, ErrDamaged) {
				t.Fatalf("Reset of the damaged key: err = %v, want ErrDamaged", err)
			}
			for i := range 5 {
				if d := take(t, s, other, damageRates, 1); !d.Allowed {
					t.Fatalf("Take #%d of a sound key = %v", i, d)
				}
			}
			if d := take(t, s, other, damageRates, 1); d.Allowed {
				t.Fatalf("Take of a sound key past its limit = %v", d)
			}
			if !tt.inSlot || tt.timestamp {
				return
			}
			// Once every key is idle, new keys fill the table: sweeps
			// release the sound key's slot, never the damaged one.
			clock.Set(1 << 30)
			for i := range 15 {
				take(t, s, fmt.Sprint("new", i), damageRates, 1)
			}
			if _, err := s.Take(ctx, "one more", damageRates, 1); !errors.Is(err, ErrFull) {
				t.Fatalf("Take of a 16th key into 16 slots: err = %v, want ErrFull", err)
			}
			if _, err := s.Take(ctx, "victim", damageRates, 1); !errors.Is(err, ErrDamaged) {
				t.Fatalf("Take of the damaged key after the sweeps: err = %v, want ErrDamaged", err)
			}
		})
	}
}

// TestRandomDamage writes random words over random places of the body of
// store files (index and slots; the header stays valid), with a fixed
// seed, and then uses every key: each call either fails with ErrDamaged
// (or ErrFull, when the damage makes keys look full) or decides, the
// process never faults, and no key is admitted past its limit, unless the
// damage hit a word the store takes at face value (see faceValue).
func TestRandomDamage(t *testing.T) {
	const trials, keys, limit = 150, 6, 10
	for i, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			rng := rand.New(rand.NewPCG(2026, uint64(i)))
			var detected, trusted int
			for trial := range trials {
				clock := core.NewFakeClock(1000)
				s, err := Open(tempPath(t), WithClock(clock), WithMaxKeys(8), WithMaxEntries(damageEntries), WithAlgorithm(alg))
				if err != nil {
					t.Fatal(err)
				}
				// Keys hold 0 to 10 units taken over 10 ms, in weights of 1 to 3.
				held := make([]int64, keys)
				for ms := range int64(10) {
					clock.Set(1000 + ms)
					for k := range keys {
						w := 1 + rng.Int64N(3)
						if rng.IntN(2) == 0 || held[k]+w > limit {
							continue
						}
						if d := take(t, s, fmt.Sprint("k", k), damageRates, w); !d.Allowed {
							t.Fatalf("trial %d: Take k%d = %v", trial, k, d)
						}
						held[k] += w
					}
				}
				face := map[int64]int{} // offset -> key whose word it is
				var live []int64        // the words the keys' slots use
				slots := make([]int64, keys)
				for k := range keys {
					slots[k] = -1
					if held[k] > 0 {
						w := locate(t, s, fmt.Sprint("k", k))
						for _, off := range faceValue(w) {
							face[off] = k
						}
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
						d, err := s.Take(ctx, name, damageRates, 1)
						if errors.Is(err, ErrDamaged) || errors.Is(err, ErrFull) {
							detected++
							break
						}
						if err != nil {
							t.Fatalf("trial %d: Take %s: %v", trial, name, err)
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
						t.Errorf("trial %d: %s (slot %d) held %d units and was admitted %d more, over its limit of %d; damage: %v",
							trial, name, slots[k], held[k], admitted, limit, damage)
					}
					if _, err := s.Check(ctx, name, damageRates, 1); err != nil && !errors.Is(err, ErrDamaged) {
						t.Fatalf("trial %d: Check %s: %v", trial, name, err)
					}
					if rng.IntN(4) == 0 {
						if err := s.Reset(ctx, name); err != nil && !errors.Is(err, ErrDamaged) {
							t.Fatalf("trial %d: Reset %s: %v", trial, name, err)
						}
					}
				}
				// Every key idle: new keys sweep the table.
				clock.Set(1 << 30)
				for k := range 10 {
					if _, err := s.Take(ctx, fmt.Sprint("new", k), damageRates, 1); err != nil && !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrFull) {
						t.Fatalf("trial %d: Take new%d: %v", trial, k, err)
					}
				}
				s.Close()
			}
			t.Logf("%d trials: %d keys refused (damage detected), %d over-admitted through words taken at face value", trials, detected, trusted)
		})
	}
}

// faceValue returns the offsets of the words of a key's slot that the
// store cannot check, as ErrDamaged says: with the log, the timestamps of
// its entries (one moved within the log's order reads as true) and its
// kept interval; with GCRA, the selector (which makes the previous state
// current) and the arrival times; with the counter, the selector and the
// windows' starts.
func faceValue(w slotWords) []int64 {
	if w.lay.alg == algLog {
		offs := []int64{w.log(lKeep)}
		for seq := w.head; seq < w.tail; seq++ {
			offs = append(offs, w.ts(seq))
		}
		return offs
	}
	offs := []int64{w.base + w.lay.stateOff}
	for i := range int64(len(damageRates)) {
		offs = append(offs, w.rate(i, 2))
	}
	return offs
}

// liveWords returns the offsets of the words a key's slot uses: its index
// word, its key record's length and first bytes, and its log's words and
// entries or its state.
func liveWords(w slotWords) []int64 {
	offs := []int64{w.index, w.base, w.base + 8}
	if w.lay.alg == algLog {
		offs = append(offs, w.log(lHead), w.log(lTail), w.log(lKeep), w.log(lWMax))
		for seq := w.head; seq <= w.tail; seq++ {
			offs = append(offs, w.ts(seq), w.before(seq))
		}
		return offs
	}
	for j := int64(0); j <= 2*w.lay.copyLen/8; j++ {
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
// another key's) and its key record: find then passes the slot as another
// key's and reports the key absent. claim's check of the probe (every key
// record passed hashes to its index word) turns the take into ErrDamaged,
// where the key would otherwise start again with a full allowance.
func TestDamagedKeyRecordAndIndexWord(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			clock := core.NewFakeClock(1000)
			s := openTest(t, tempPath(t), WithClock(clock), WithMaxKeys(16), WithMaxEntries(damageEntries), WithAlgorithm(alg))
			if d := take(t, s, "victim", damageRates, 10); !d.Allowed {
				t.Fatalf("Take of the limit = %v", d)
			}
			w := locate(t, s, "victim")
			writeWord(t, s.path, w.index, -0x7fff_ffff_2152_4111)
			writeWord(t, s.path, w.base+8, 0x5858585858585858)
			if d, err := s.Take(ctx, "victim", damageRates, 1); !errors.Is(err, ErrDamaged) || d.Allowed {
				t.Fatalf("Take of the damaged key = %v, %v; want ErrDamaged", d, err)
			}
		})
	}
}

// TestDamagedHeader overwrites the magic word of a store's file, as a
// stray write would: lock's check of the header makes every call fail
// with ErrDamaged.
func TestDamagedHeader(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, tempPath(t), WithMaxKeys(16), WithMaxEntries(damageEntries))
	take(t, s, "k", damageRates, 1)
	writeWord(t, s.path, hMagic, 0)
	if d, err := s.Take(ctx, "k", damageRates, 1); !errors.Is(err, ErrDamaged) || d.Allowed {
		t.Fatalf("Take with the header gone = %v, %v; want ErrDamaged", d, err)
	}
	if _, err := s.Check(ctx, "k", damageRates, 1); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Check with the header gone: err = %v, want ErrDamaged", err)
	}
	if err := s.Reset(ctx, "k"); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Reset with the header gone: err = %v, want ErrDamaged", err)
	}
}
