package sqlitestore_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestBytesPerKey measures what a key costs on disk under each algorithm:
// 100,000 keys, each taking once at 1000/hour (the log's best case: one
// row; it grows by a row per admitted take, up to the limit, where GCRA and
// the counter stay at one row; the log also runs 10,000 keys taking 10
// times each), checkpointed into the main file, whose growth over an empty
// store is divided by the keys. It runs only with
// RATELIMIT_MEMORY_FIGURES=1: it takes tens of seconds.
func TestBytesPerKey(t *testing.T) {
	if os.Getenv("RATELIMIT_MEMORY_FIGURES") != "1" {
		t.Skip("set RATELIMIT_MEMORY_FIGURES=1 to measure bytes per key on disk")
	}
	const keys = 100_000
	rates := ratelimit.Rates{ratelimit.PerHour(1000)}
	for _, alg := range algorithms {
		for _, takes := range []int{1, 10} {
			if takes > 1 && alg != ratelimit.SlidingWindowLog {
				continue // one row whatever the takes
			}
			path := filepath.Join(t.TempDir(), "figures.db")
			s, err := sqlitestore.Open(path, sqlitestore.WithAlgorithm(alg))
			if err != nil {
				t.Fatal(err)
			}
			size := func() int64 {
				db, err := sql.Open("sqlite", path)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
					t.Fatal(err)
				}
				var pages, pageSize int64
				db.QueryRow("PRAGMA page_count").Scan(&pages)
				db.QueryRow("PRAGMA page_size").Scan(&pageSize)
				return pages * pageSize
			}
			empty := size()
			ctx := t.Context()
			start := time.Now()
			keys := keys / takes // the log's 10 takes per key: a tenth of the keys, as many takes
			for range takes {
				for i := range keys {
					if d, err := s.Take(ctx, "203.0.113."+strconv.Itoa(i), rates, 1); err != nil || !d.Allowed {
						t.Fatalf("Take = %v, %v", d, err)
					}
				}
			}
			took := time.Since(start)
			s.Close()
			full := size()
			t.Logf("%-22s %2d take(s)/key: %6.1f bytes per key on disk (%d keys, file %d → %d bytes; %.1f µs per take)",
				alg, takes, float64(full-empty)/float64(keys), keys, empty, full, float64(took.Microseconds())/float64(keys*takes))
		}
	}
}
