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

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

func main() {
	db := flag.String("db", filepath.Join(os.TempDir(), "gorate-example-sqlite.db"), "database `file` (\"\" for the store's default file)")
	reset := flag.Bool("reset", false, "remove the database file first")
	flag.Parse()
	if err := run(context.Background(), *db, *reset); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, path string, reset bool) error {
	if reset && path != "" {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	store, err := sqlitestore.Open(path, []ratelimit.Rate{ratelimit.PerMinute(5)})
	if err != nil {
		return err
	}
	limiter, err := ratelimit.New(store) // the limiter owns the store and closes it
	if err != nil {
		store.Close()
		return err
	}
	defer limiter.Close()

	const name = "nightly-report"
	bucket, err := limiter.Bucket(ctx, name)
	if err != nil {
		return err
	}
	// Units older than a minute count no more: delete them, so that Count
	// reports the minute's. (The store's sweeper does so in the background,
	// but a run this short ends before it first wakes.)
	now, err := bucket.Now(ctx)
	if err != nil {
		return err
	}
	if _, err := bucket.Leak(ctx, now); err != nil {
		return err
	}
	used, err := bucket.Count(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("database %s: earlier runs left %d units under %q\n", path, used, name)
	for i := 1; i <= 2; i++ {
		d, err := limiter.Allow(ctx, name)
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
