// Command sqlite shows a limit that survives a restart: the SQLite store
// keeps admitted units in a file, so each run of the program sees what the
// runs before it took. From the repository root, run it a few times within
// a minute:
//
//	go run ./examples/sqlite   # takes 2 units: 3 of 5 left this minute
//	go run ./examples/sqlite   # sees the first run's 2, takes 2: 1 left
//	go run ./examples/sqlite   # takes the last one, then is denied with a retry-after
//
// The file is in the temporary directory unless -db says otherwise; -reset
// removes it first. Any number of processes may share it at once.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gorate/ratelimit"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

func main() {
	db := flag.String("db", filepath.Join(os.TempDir(), "gorate-example-sqlite.db"), "database `file`")
	reset := flag.Bool("reset", false, "remove the database file first")
	flag.Parse()
	if err := run(context.Background(), *db, *reset); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, path string, reset bool) error {
	if reset {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	store, err := sqlitestore.Open(path)
	if err != nil {
		return err
	}
	defer store.Close() // a limiter never closes its store
	limiter, err := ratelimit.New(store, ratelimit.PerMinute(5))
	if err != nil {
		return err
	}
	defer limiter.Close()

	const key = "nightly-report"
	// A take of 0 units takes nothing and reports the key's standing.
	d, err := limiter.AllowN(ctx, key, 0)
	if err != nil {
		return err
	}
	fmt.Printf("database %s: earlier runs took %d of %s under %q\n", path, d.Rate.Limit-d.Remaining, d.Rate, key)
	for i := 1; i <= 2; i++ {
		d, err := limiter.Allow(ctx, key)
		if err != nil {
			return err
		}
		if d.Allowed {
			fmt.Printf("unit %d: allowed, %d left under %s\n", i, d.Remaining, d.Rate)
		} else {
			fmt.Printf("unit %d: denied by %s, retry in %s\n", i, d.Rate, d.RetryAfter)
		}
	}
	return nil
}
