package sqlitestore_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorate/ratelimit"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

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
	rates := mustRates(t, ratelimit.PerSecond(1))
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			for _, alg := range algorithms {
				s, err := sqlitestore.Open(sqlitestore.Memory, sqlitestore.WithTable(tt.table), sqlitestore.WithAlgorithm(alg))
				if !tt.ok {
					if !errors.Is(err, ratelimit.ErrInvalidArgument) {
						t.Fatalf("Open with table %q: err = %v, want ErrInvalidArgument", tt.table, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Open with table %q: %v", tt.table, err)
				}
				d, err := s.Take(t.Context(), "k", rates, 1)
				s.Close()
				if err != nil || !d.Allowed {
					t.Fatalf("%s: Take = %v, %v", alg, d, err)
				}
			}
		})
	}
}

// TestTablesApart keeps stores of one file apart: stores on different
// tables, and stores of different algorithms on one table, never share a
// key's state.
func TestTablesApart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	rates := mustRates(t, ratelimit.PerHour(1))
	stores := []*sqlitestore.Store{openStore(t, path, sqlitestore.WithTable("a")), openStore(t, path, sqlitestore.WithTable("b"))}
	for _, alg := range algorithms[1:] {
		stores = append(stores, openStore(t, path, sqlitestore.WithTable("a"), sqlitestore.WithAlgorithm(alg)))
	}
	for i, s := range stores {
		for n, allowed := range []bool{true, false} {
			if d, err := s.Take(t.Context(), "k", rates, 1); err != nil || d.Allowed != allowed {
				t.Fatalf("store %d, take %d = %v, %v; want allowed %v", i, n, d, err, allowed)
			}
		}
	}
}
