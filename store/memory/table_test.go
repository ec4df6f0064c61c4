package memorystore

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestTable runs random inserts, removals and sweeps against a map, with
// hashes drawn from a small set so that keys share whole hashes and long
// runs of slots, through growth.
func TestTable(t *testing.T) {
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 7))
		var tab table
		model := map[string]uint64{} // key -> hash
		hashOf := func(key string) uint64 {
			if seed%2 == 0 {
				return r.Uint64() // spread: home slots all over
			}
			return uint64(r.IntN(4)) * 0x9 << 60 // four whole hashes
		}
		check := func(step int) {
			t.Helper()
			if tab.n != len(model) {
				t.Fatalf("seed %d step %d: table holds %d keys, want %d", seed, step, tab.n, len(model))
			}
			slots := tab.arr.Load().s // made by step 0, an insert
			if tab.n > 0 && 4*tab.n > 3*len(slots) {
				t.Fatalf("seed %d step %d: %d keys in %d slots, over 3/4", seed, step, tab.n, len(slots))
			}
			for k, h := range model {
				if log := tab.lookup(k, h); log == nil || log.key != k {
					t.Fatalf("seed %d step %d: key %q not found", seed, step, k)
				}
				// With no change beside it, candidate finds a key of the hash.
				if log := tab.candidate(h); log == nil || model[log.key] != h {
					t.Fatalf("seed %d step %d: no candidate for %q", seed, step, k)
				}
			}
			used := 0
			for i := range slots {
				s := &slots[i]
				if log := s.log.Load(); log != nil {
					used++
					if model[log.key] != s.hash.Load() {
						t.Fatalf("seed %d step %d: slot holds %q, which the model does not", seed, step, log.key)
					}
				}
			}
			if used != tab.n {
				t.Fatalf("seed %d step %d: %d slots used, n = %d", seed, step, used, tab.n)
			}
		}
		next := 0
		for step := range 3000 {
			switch op := r.IntN(20); {
			case op < 12 || len(model) == 0: // insert a new key
				k := strconv.Itoa(next)
				next++
				h := hashOf(k)
				if tab.lookup(k, h) != nil {
					t.Fatalf("seed %d step %d: new key %q found", seed, step, k)
				}
				tab.insert(h, &unitLog{key: k})
				model[k] = h
			case op < 18: // remove a key, or one that is absent
				k := strconv.Itoa(r.IntN(next + 1))
				h, ok := model[k]
				if !ok {
					h = hashOf(k)
				}
				i, log := tab.find(k, h)
				if got := log != nil; got != ok {
					t.Fatalf("seed %d step %d: find(%q) found %v, want %v", seed, step, k, got, ok)
				}
				if log != nil {
					tab.clear(i)
				}
				delete(model, k)
			default: // sweep a share of the keys
				held := len(model)
				visits := map[string]int{}
				tab.deleteFunc(func(l *unitLog) bool {
					visits[l.key]++
					if r.IntN(4) != 0 {
						delete(model, l.key)
						return true
					}
					return false
				})
				for k, n := range visits {
					if n != 1 {
						t.Fatalf("seed %d step %d: the sweep visited %q %d times", seed, step, k, n)
					}
				}
				if len(visits) != held {
					t.Fatalf("seed %d step %d: the sweep missed keys", seed, step)
				}
			}
			check(step)
		}
	}
}
