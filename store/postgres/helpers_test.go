package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
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
// reached (fails it under CI).
func sharedPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	shared.once.Do(func() {
		shared.pool, shared.err = connect(context.Background(), "pgstore-test", 32)
	})
	if shared.err != nil {
		unreachable(t, shared.err)
	}
	return shared.pool
}

// connect opens a pool on dsn() with the given application_name and size and
// checks that the server answers.
func connect(ctx context.Context, app string, conns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn())
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	cfg.MaxConns = conns
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

func TestMain(m *testing.M) {
	code := m.Run()
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

// dropTable removes table, its state table and its decision functions at
// the end of t.
func dropTable(t testing.TB, pool *pgxpool.Pool, table string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, `DROP FUNCTION IF EXISTS "`+table+`_acquire"; DROP FUNCTION IF EXISTS "`+table+`_decide"; `+
			`DROP TABLE IF EXISTS "`+table+`"; DROP TABLE IF EXISTS "`+table+`_state"`); err != nil {
			t.Errorf("dropping %s: %v", table, err)
		}
	})
}

// newStore returns a migrated Store on a fresh table of pool, closed and
// dropped at the end of t. The sweeper is off unless opts turn it on.
func newStore(t testing.TB, pool *pgxpool.Pool, rates []ratelimit.Rate, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	table := uniqueTable()
	dropTable(t, pool, table)
	opts = append([]pgstore.Option{pgstore.WithTable(table), pgstore.WithSweepInterval(0)}, opts...)
	s, err := pgstore.New(pool, rates, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}
