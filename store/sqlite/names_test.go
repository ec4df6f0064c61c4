package sqlitestore_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	"github.com/gorate/ratelimit/internal/oldcore/ratelimittest"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestNamesRoundTrip puts under names that would break interpolated SQL, both
// as the routed name and as the item's own name: each is stored as bound,
// isolated from the others, and comes back from Peek unchanged; the table
// survives.
func TestNamesRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "names.db")
	s := openStore(t, path, []ratelimit.Rate{ratelimit.Per(2, time.Hour)})
	ctx := t.Context()
	names := ratelimittest.Names()
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
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, names2 int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT name) FROM "ratelimit"`).Scan(&rows, &names2); err != nil {
		t.Fatal(err)
	}
	if want := 3 * len(names); rows != want || names2 != 2*len(names) {
		t.Fatalf("table holds %d rows under %d names, want %d under %d", rows, names2, want, 2*len(names))
	}
}

// TestTableNames accepts identifiers as table names, quoted in every
// statement, and rejects anything else before touching the database.
func TestTableNames(t *testing.T) {
	tests := []struct {
		table string
		ok    bool
	}{
		{"ratelimit", true},
		{"_x", true},
		{"Limits_2", true},
		{"select", true}, // a keyword, fine once quoted
		{strings.Repeat("t", 63), true},
		{"", false},
		{"a;b", false},
		{"1abc", false},
		{"a b", false},
		{`a"b`, false},
		{"a-b", false},
		{"sqlite_master", false},
		{"ключ", false},
		{strings.Repeat("t", 64), false},
		{strings.Repeat("t", 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			s, err := sqlitestore.Open(sqlitestore.Memory, []ratelimit.Rate{ratelimit.PerSecond(1)}, sqlitestore.WithTable(tt.table))
			if !tt.ok {
				if !errors.Is(err, ratelimit.ErrInvalidArgument) {
					t.Fatalf("Open with table %q: err = %v, want ErrInvalidArgument", tt.table, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open with table %q: %v", tt.table, err)
			}
			defer s.Close()
			if d, err := s.Acquire(t.Context(), "k", 1); err != nil || !d.Allowed {
				t.Fatalf("Acquire = %+v, %v", d, err)
			}
		})
	}
}

// TestTablesShareAFile keeps two stores with different rates in one file
// under two tables: their names never meet.
func TestTablesShareAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a := openStore(t, path, []ratelimit.Rate{ratelimit.PerHour(1)}, sqlitestore.WithTable("a"))
	b := openStore(t, path, []ratelimit.Rate{ratelimit.PerHour(2)}, sqlitestore.WithTable("b"))
	ctx := t.Context()
	for i, tt := range []struct {
		s       *sqlitestore.Store
		allowed bool
	}{{a, true}, {a, false}, {b, true}, {b, true}, {b, false}} {
		if d, err := tt.s.Acquire(ctx, "k", 1); err != nil || d.Allowed != tt.allowed {
			t.Fatalf("acquire %d = %+v, %v; want allowed %v", i, d, err, tt.allowed)
		}
	}
}
