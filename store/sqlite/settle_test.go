package sqlitestore_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestRefundKeepsRunningTotals refunds log units from the middle of a key's
// rows: two takes stamped alike (two rows, refunded as one), and a row
// followed by rows of one unit each, whose running totals all move down by
// one. The rows stay consecutive, and the decisions after it, a denial's
// RetryAfter found through the moved totals included, count exactly the
// units left.
func TestRefundKeepsRunningTotals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "refund.db")
	clock := core.NewFakeClock(0)
	s := openStore(t, path, sqlitestore.WithClock(clock))
	rates := mustRates(t, per(10, time.Second))
	take := func(at, n int64) ratelimit.Decision {
		t.Helper()
		clock.Set(at)
		d, err := s.Take(t.Context(), "k", rates, n)
		if err != nil || !d.Allowed || d.At != at {
			t.Fatalf("Take(n=%d) at %d = %v (At %d), %v; want allowed at %d", n, at, d, d.At, err, at)
		}
		return d
	}
	refund := func(d ratelimit.Decision, n, remaining int64) {
		t.Helper()
		got, err := s.Refund(t.Context(), "k", rates, d, n)
		if err != nil || !got.Allowed || got.Remaining != remaining || got.At != clock.Now() {
			t.Fatalf("Refund(n=%d) of the take at %d = %v (At %d), %v; want %d left at %d", n, d.At, got, got.At, err, remaining, clock.Now())
		}
	}
	first := take(0, 1)
	take(0, 2) // a second row at 0
	ones := make([]ratelimit.Decision, 6)
	for i := range ones {
		ones[i] = take(int64(1+i), 1)
	}
	clock.Set(7)
	refund(first, 2, 3)   // 3 units at 0 become 1: later rows move down by 2
	refund(ones[0], 1, 4) // the row at 1 goes: each later one moves onto the place the one before left
	refund(ones[0], 1, 4) // nothing left at 1
	checkConsecutive(t, path)

	take(8, 3)
	take(9, 1)
	clock.Set(9)
	d, err := s.Take(t.Context(), "k", rates, 1)
	// The oldest unit left, at 0, leaves the window [t-1000, t] at 1001.
	if err != nil || d.Allowed || d.RetryAfter != 992*time.Millisecond {
		t.Fatalf("Take with the key full = %v, %v; want denied, retry in 992ms", d, err)
	}
}

// checkConsecutive fails the test unless every key's rows in the log
// table of path hold consecutive units: each row's running total is the
// one before's plus its weight.
func checkConsecutive(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT key, before, weight FROM ratelimit ORDER BY key, before`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lastKey string
	var next int64 = -1
	for rows.Next() {
		var key string
		var before, weight int64
		if err := rows.Scan(&key, &before, &weight); err != nil {
			t.Fatal(err)
		}
		if key == lastKey && before != next {
			t.Fatalf("key %q: a row starts at unit %d, want %d", key, before, next)
		}
		lastKey, next = key, before+weight
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestRefundAfterClockBack: a take while the clock reads earlier than the
// key's newest stamp is stored at that stamp, its Decision's At says so,
// and a refund of it finds its units there.
func TestRefundAfterClockBack(t *testing.T) {
	clock := core.NewFakeClock(10_000)
	s := openStore(t, sqlitestore.Memory, sqlitestore.WithClock(clock))
	rates := mustRates(t, per(2, time.Second))
	if _, err := s.Take(t.Context(), "k", rates, 1); err != nil {
		t.Fatal(err)
	}
	clock.Set(9_000)
	d, err := s.Take(t.Context(), "k", rates, 1)
	if err != nil || !d.Allowed || d.At != 10_000 {
		t.Fatalf("Take with the clock back = %v (At %d), %v; want allowed, At 10000", d, d.At, err)
	}
	got, err := s.Refund(t.Context(), "k", rates, d, 1)
	if err != nil || got.Remaining != 1 || got.At != 9_000 {
		t.Fatalf("Refund = %v (At %d), %v; want 1 left, At 9000", got, got.At, err)
	}
}

// TestCrossProcessRefund has 2 processes take one unit at a time from one
// key at 1000 per 1000h (nothing is emitted or expires meanwhile), 2000
// times each, refunding every other unit they are admitted. The units admitted
// minus those refunded never exceed the limit, and once the demand has
// filled the key they are the limit exactly: the key's standing counts
// each of them, none lost to a refund or take of the other process. Under
// GCRA each refund falls short by the time since its take, so one unit
// less may fit.
func TestCrossProcessRefund(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 2 processes per algorithm")
	}
	const limit = 1000
	rates := mustRates(t, per(limit, 1000*time.Hour))
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "refund.db")
			s := openStore(t, path, sqlitestore.WithAlgorithm(alg))
			job := append(helperJob(rates.String(), 1, 0, 2*limit, false), helperRefund+"=1", helperAlg+"="+string(alg))
			children := startChildren(t, 2, path, job...)
			for _, c := range children {
				c.start(t)
			}
			var admitted, refunded int64
			for i, c := range children {
				var a, r int64
				settled := false
				for line := range c.lines {
					if rest, ok := strings.CutPrefix(line, "settled "); ok {
						_, err := fmt.Sscan(rest, &a, &r)
						settled = err == nil
					}
				}
				if !settled {
					t.Fatalf("child %d ended without a settled line", i)
				}
				t.Logf("child %d: %d admitted, %d refunded", i, a, r)
				admitted, refunded = admitted+a, refunded+r
			}
			held := admitted - refunded
			d, err := s.Take(t.Context(), "key-0", rates, 0)
			if err != nil {
				t.Fatal(err)
			}
			least := int64(limit)
			if alg == ratelimit.GCRA {
				least--
			}
			if held > limit || held < least || d.Remaining > limit-held || d.Remaining < least-held {
				t.Fatalf("%d admitted, %d refunded, standing %v; want from %d to %d held, and the standing to count them", admitted, refunded, d, least, limit)
			}
		})
	}
}
