package sqlitestore_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

// TestBytesPerName measures what a name costs on disk under each
// algorithm: 100,000 names, each acquiring once at 1000/hour (the log's
// best case: one row; it grows by a row per admitted put, up to the limit,
// where GCRA and the counter stay at one row; the log also runs 10,000
// names acquiring 10 times each), checkpointed into the main
// file, whose growth over an empty store is divided by the names. It runs
// only with RATELIMIT_MEMORY_FIGURES=1: it takes tens of seconds.
func TestBytesPerName(t *testing.T) {
	if os.Getenv("RATELIMIT_MEMORY_FIGURES") != "1" {
		t.Skip("set RATELIMIT_MEMORY_FIGURES=1 to measure bytes per name on disk")
	}
	const names = 100_000
	rates := []ratelimit.Rate{ratelimit.Per(1000, time.Hour)}
	for _, alg := range algorithms {
		for _, puts := range []int{1, 10} {
			if puts > 1 && alg != ratelimit.AlgorithmSlidingWindowLog {
				continue // one row whatever the puts
			}
			path := filepath.Join(t.TempDir(), "figures.db")
			s, err := sqlitestore.Open(path, rates, sqlitestore.WithSweepInterval(0), sqlitestore.WithAlgorithm(alg))
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
			names := names / puts // the log's 10 puts per name: a tenth of the names, as many puts
			for range puts {
				for i := range names {
					if d, err := s.Acquire(ctx, "203.0.113."+strconv.Itoa(i), 1); err != nil || !d.Allowed {
						t.Fatalf("Acquire = %+v, %v", d, err)
					}
				}
			}
			took := time.Since(start)
			s.Close()
			full := size()
			t.Logf("%-22s %2d put(s)/name: %6.1f bytes per name on disk (%d names, file %d → %d bytes; %.1f µs per acquire)",
				alg, puts, float64(full-empty)/float64(names), names, empty, full, float64(took.Microseconds())/float64(names*puts))
		}
	}
}
