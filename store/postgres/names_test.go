package pgstore_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
	pgstore "github.com/gorate/ratelimit/store/postgres"
)

// TestNamesRoundTrip puts under names that would break interpolated SQL or
// text columns, both as the routed name and as the item's own name: each is
// stored as bound, isolated from the others, and comes back from Peek
// unchanged; the table survives.
func TestNamesRoundTrip(t *testing.T) {
	pool := sharedPool(t)
	s := newStore(t, pool, []ratelimit.Rate{ratelimit.Per(2, time.Hour)})
	ctx := t.Context()
	names := append(ratelimittest.Names(), `"); DROP TABLE "`+s.Table()+`"; --`) // the store's own table
	ratelimittest.RoundTripNames(t, s, names, true)
	for i, name := range names {
		// The same name as an item's own name, under another routed name:
		// it comes back with the unit, and each put is its own row of
		// weight 1.
		other, _ := s.Bucket(ctx, "other:"+strconv.Itoa(i))
		if _, err := other.Put(ctx, ratelimit.Item{Name: name, Time: 5, Weight: 1}); err != nil {
			t.Fatal(err)
		}
		if it, ok, err := other.Peek(ctx, 0); err != nil || !ok || it.Name != name || it.Weight != 1 {
			t.Fatalf("name #%d: view Peek(0) = %v, %v, %v; want the item named %q", i, it, ok, err, name)
		}
	}
	var rows, distinct int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT name) FROM "`+s.Table()+`"`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if want := 3 * len(names); rows != want || distinct != 2*len(names) {
		t.Fatalf("table holds %d rows under %d names, want %d under %d", rows, distinct, want, 2*len(names))
	}
}

// TestTableNames accepts identifiers as table names, quoted in every
// statement, and rejects anything else before touching the database.
func TestTableNames(t *testing.T) {
	tests := []struct {
		table string
		ok    bool
	}{
		{"rltest_select", true},
		{"RlTest_Mixed_2", true}, // quoted: its case is kept
		{"_rltest", true},
		{"rltest_" + strings.Repeat("t", 41), true},
		{"", false},
		{"a;b", false},
		{"1abc", false},
		{"a b", false},
		{`a"b`, false},
		{"a'b", false},
		{"a-b", false},
		{"pg_catalog", false},
		{"ключ", false},
		{"x\x00y", false},
		{strings.Repeat("t", 49), false},
		{strings.Repeat("t", 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			rates := []ratelimit.Rate{ratelimit.PerSecond(1)}
			if !tt.ok {
				// No server needed: the name is refused before any query.
				if _, err := pgstore.New(nil, rates, pgstore.WithTable(tt.table)); !errors.Is(err, ratelimit.ErrInvalidArgument) {
					t.Fatalf("New with table %q: err = %v, want ErrInvalidArgument", tt.table, err)
				}
				return
			}
			pool := sharedPool(t)
			if _, err := pgstore.New(pool, rates, pgstore.WithTable(tt.table+`"`)); !errors.Is(err, ratelimit.ErrInvalidArgument) {
				t.Fatalf("New with a quote appended: err = %v, want ErrInvalidArgument", err)
			}
			dropTable(t, pool, tt.table)
			s := newStoreOn(t, pool, tt.table, rates)
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			if d, err := s.Acquire(t.Context(), "k", 1); err != nil || !d.Allowed {
				t.Fatalf("Acquire = %+v, %v", d, err)
			}
		})
	}
}

// TestBadArguments checks the errors of bad input, which lose nothing.
func TestBadArguments(t *testing.T) {
	rates := []ratelimit.Rate{ratelimit.PerSecond(1)}
	if _, err := pgstore.New(nil, rates); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("New(nil pool): err = %v, want ErrInvalidArgument", err)
	}
	if _, err := pgstore.New(nil, nil); err == nil {
		t.Fatal("New with no rates: no error")
	}
	pool := sharedPool(t)
	if _, err := pgstore.New(pool, nil); !errors.Is(err, ratelimit.ErrInvalidRates) {
		t.Fatalf("New with no rates: err = %v, want ErrInvalidRates", err)
	}
	if _, err := pgstore.New(pool, rates, pgstore.WithSweepInterval(-time.Second)); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("New with a negative sweep: err = %v, want ErrInvalidArgument", err)
	}
	s := newStore(t, pool, rates)
	if _, err := s.Acquire(t.Context(), "k", -1); !errors.Is(err, ratelimit.ErrInvalidWeight) {
		t.Fatalf("Acquire(-1): err = %v, want ErrInvalidWeight", err)
	}
	b, _ := s.Bucket(t.Context(), "k")
	if _, _, err := b.Peek(t.Context(), -1); !errors.Is(err, ratelimit.ErrInvalidArgument) {
		t.Fatalf("Peek(-1): err = %v, want ErrInvalidArgument", err)
	}
	s.Close()
	for name, err := range map[string]error{
		"Migrate": s.Migrate(t.Context()),
		"Leak":    func() error { _, err := s.Leak(t.Context(), 0); return err }(),
		"Count":   func() error { _, err := b.Count(t.Context()); return err }(),
		"Flush":   b.Flush(t.Context()),
		"Now":     func() error { _, err := s.Now(t.Context()); return err }(),
		"Bucket":  func() error { _, err := s.Bucket(t.Context(), "k"); return err }(),
	} {
		if !errors.Is(err, ratelimit.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", name, err)
		}
	}
}
