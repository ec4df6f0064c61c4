//go:build linux || darwin

package mpstore

import (
	"errors"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

// TestChargeLog charges a log past its limit: into its newest entry, which
// then holds more than the smallest limit and still passes the slot's
// checks, and into new entries until the ring, WithMaxEntries(2), has no
// entry free inside the window, when a charge fails with ErrFull and
// stores nothing. Once the units have left the window, the key takes
// again, with room for exactly what was stored.
func TestChargeLog(t *testing.T) {
	clock := core.NewFakeClock(0)
	s := openTest(t, tempPath(t), WithClock(clock), WithMaxEntries(2))
	rates := mustRates(t, "2/s")
	charge := func(at, n int64) (ratelimit.Decision, error) {
		t.Helper()
		clock.Set(at)
		return s.Charge(t.Context(), "k", rates, n)
	}
	take(t, s, "k", rates, 2)
	for _, c := range []struct{ at, n int64 }{{0, 2}, {1, 1}} {
		if d, err := charge(c.at, c.n); err != nil || d.Allowed {
			t.Fatalf("Charge(%d) at %d = %v, %v; want denied (overdrawn)", c.n, c.at, d, err)
		}
	}
	if _, err := charge(2, 1); !errors.Is(err, ErrFull) {
		t.Fatalf("Charge with no entry free = %v, want ErrFull", err)
	}
	clock.Set(1000)
	if d := take(t, s, "k", rates, 0); d.Allowed || d.RetryAfter != time.Millisecond {
		t.Fatalf("Take(0) at 1000 = %v; want denied until 1001, when the units at 0 leave", d)
	}
	clock.Set(1001)
	if d := take(t, s, "k", rates, 1); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("Take(1) at 1001 = %v; want allowed, 0 left (the unit at 1 counts, the failed charge's at 2 was not stored)", d)
	}
}

// TestJournalDamaged: a journal whose count or pair is not one this
// package writes makes every call fail with ErrDamaged, writing nothing.
func TestJournalDamaged(t *testing.T) {
	tests := []struct {
		name string
		word int64 // offset in the journal
		v    func(l layout) int64
	}{
		{"count negative", 0, func(layout) int64 { return -1 }},
		{"count over its room", 0, func(l layout) int64 { return l.journalCap + 1 }},
		{"pair in the header", 8, func(layout) int64 { return hMagic }},
		{"pair past the end", 8, func(l layout) int64 { return l.size }},
		{"pair not a word", 8, func(l layout) int64 { return l.slotsOff + 4 }},
	}
	rates := mustRates(t, "5/s")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t, tempPath(t))
			take(t, s, "k", rates, 1)
			lay := s.m.lay
			*s.m.at(lay.journalOff) = 1
			*s.m.at(lay.journalOff + 8) = lay.slotsOff
			*s.m.at(lay.journalOff + tt.word) = tt.v(lay)
			if _, err := s.Take(t.Context(), "k", rates, 1); !errors.Is(err, ErrDamaged) {
				t.Fatalf("Take with a damaged journal: %v, want ErrDamaged", err)
			}
		})
	}
}
