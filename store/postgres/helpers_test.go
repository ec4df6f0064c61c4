package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorate/ratelimit"
	pgstore "github.com/gorate/ratelimit/store/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// dsn is the server the tests use: POSTGRES_DSN, or the local default.
func dsn() string {
	if d := os.Getenv("POSTGRES_DSN"); d != "" {
		return d
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// requireServer reports whether a missing server fails the tests instead of
// skipping them.
func requireServer() bool {
	return os.Getenv("CI") == "true" || os.Getenv("RATELIMIT_REQUIRE_SERVERS") == "1"
}

var shared struct {
	once sync.Once
	pool *pgxpool.Pool
	err  error
}

// sharedPool returns the pool most tests share, connected once per test
// binary (TestMain closes it), or skips the test when the server cannot be
// reached (fails it under CI). Its connections are replaced once they are
// 30s old: a backend keeps the compiled code of every function it ran,
// dropped or not, and each test makes and drops a table's nine, so under
// -count=100 the backends of a pool that lives as long as the binary grow
// by hundreds of megabytes and slow down.
func sharedPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	shared.once.Do(func() {
		shared.pool, shared.err = connect(context.Background(), "pgstore-test", 32, 30*time.Second)
	})
	if shared.err != nil {
		unreachable(t, shared.err)
	}
	return shared.pool
}

// connect opens a pool on dsn() with the given application_name, size and
// connection lifetime (0: pgxpool's default) and checks that the server
// answers.
func connect(ctx context.Context, app string, conns int32, lifetime time.Duration) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn())
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	cfg.MaxConns = conns
	if lifetime > 0 {
		cfg.MaxConnLifetime = lifetime
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// unreachable skips or fails t for a server that cannot be reached.
func unreachable(t testing.TB, err error) {
	t.Helper()
	if requireServer() {
		t.Fatalf("PostgreSQL at %s is required (CI=true or RATELIMIT_REQUIRE_SERVERS=1) but unreachable: %v", dsn(), err)
	}
	t.Skipf("PostgreSQL at %s unreachable (set POSTGRES_DSN to run these tests): %v", dsn(), err)
}

// TestMain skips the examples, which need the server at exampleDSN, when it is
// unreachable, as the tests skip (or fail when servers are required); and
// drops the examples' table afterwards.
func TestMain(m *testing.M) {
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	pool, err := pgxpool.New(ctx, exampleDSN)
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
			pool = nil
		}
	}
	cancel()
	if err != nil && !requireServer() {
		skip := "^Example"
		if s := flag.Lookup("test.skip").Value.String(); s != "" {
			skip += "|" + s
		}
		flag.Set("test.skip", skip)
		fmt.Fprintf(os.Stderr, "PostgreSQL at %s is unreachable (%v): examples skipped\n", exampleDSN, err)
	}
	code := m.Run()
	if pool != nil {
		if _, err := pool.Exec(context.Background(), dropSQL(exampleTable)); err != nil {
			fmt.Fprintf(os.Stderr, "dropping %s: %v\n", exampleTable, err)
			code = max(code, 1)
		}
		pool.Close()
	}
	if shared.pool != nil {
		shared.pool.Close()
	}
	os.Exit(code)
}

// uniqueTable returns a table name no other test uses.
func uniqueTable() string {
	var b [6]byte
	rand.Read(b[:])
	return "rltest_" + hex.EncodeToString(b[:])
}

// dropTable removes table, its state and block tables and its functions at
// the end of t.
func dropTable(t testing.TB, pool *pgxpool.Pool, table string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, dropSQL(table)); err != nil {
			t.Errorf("dropping %s: %v", table, err)
		}
	})
}

// dropSQL returns the statements that remove table, its state and block
// tables and its functions, of this version and the earlier ones.
func dropSQL(table string) string {
	return dropFunctionsSQL(table, "take", "take_state", "decide_state", "take_batch", "settle", "settle_state", "idle_at", "reset", "blocking", "block_length", "acquire", "decide") +
		`DROP TABLE IF EXISTS "` + table + `"; DROP TABLE IF EXISTS "` + table + `_state"; DROP TABLE IF EXISTS "` + table + `_block"`
}

// dropFunctionsSQL returns the statements that remove table's functions
// of the given suffixes.
func dropFunctionsSQL(table string, suffixes ...string) string {
	var b strings.Builder
	for _, f := range suffixes {
		fmt.Fprintf(&b, `DROP FUNCTION IF EXISTS "%s_%s"; `, table, f)
	}
	return b.String()
}

// TestDropSQL holds dropSQL to what a Store makes: after it, no table and
// no function of the Store's table is left (a new SQL function missing
// from its list would pile up in the test database, test after test).
func TestDropSQL(t *testing.T) {
	pool := sharedPool(t)
	table := uniqueTable()
	dropTable(t, pool, table)
	newStoreOn(t, pool, table)
	newStoreOn(t, pool, table, pgstore.WithAlgorithm(ratelimit.GCRA))
	if _, err := pool.Exec(t.Context(), dropSQL(table)); err != nil {
		t.Fatal(err)
	}
	var left []string
	rows, err := pool.Query(t.Context(), `SELECT proname::text FROM pg_proc WHERE starts_with(proname::text, $1)
		UNION ALL SELECT relname::text FROM pg_class WHERE starts_with(relname::text, $1)`, table)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		left = append(left, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("after dropSQL(%q): %v remain", table, left)
	}
}

// newStore returns a Store on a fresh table of pool, closed and dropped at
// the end of t, with the sweeper off (opts may turn it on), and the table's
// name.
func newStore(t testing.TB, pool *pgxpool.Pool, opts ...pgstore.Option) (*pgstore.Store, string) {
	t.Helper()
	table := uniqueTable()
	dropTable(t, pool, table)
	return newStoreOn(t, pool, table, opts...), table
}

// newStoreOn returns a Store on table (made if need be) with the sweeper
// off unless opts turn it on, closed at the end of t.
func newStoreOn(t testing.TB, pool *pgxpool.Pool, table string, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := pgstore.New(ctx, pool, append([]pgstore.Option{pgstore.WithTable(table), pgstore.WithSweepInterval(0)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
