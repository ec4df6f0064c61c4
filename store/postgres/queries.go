package pgstore

import (
	"embed"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/gorate/ratelimit"
)

// maxTable is the longest table name: PostgreSQL cuts identifiers at 63
// bytes, and the names of the state and block tables, the indexes and the
// functions add a suffix to the table's (at most "_settle_state" and
// "_block_length", 13 bytes).
const maxTable = 48

//go:embed sql/*.sql
var sqlFiles embed.FS

// templates holds the SQL files. They substitute the checked, quoted table
// name, the index and function names made from it, and string literals of
// it for the advisory-lock hashes, nothing else; every value is a bound
// parameter.
var templates = template.Must(template.New("").Option("missingkey=error").ParseFS(sqlFiles, "sql/*.sql"))

// identifier is what a table name must look like.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkTable reports whether name is usable as a table name: an identifier
// of at most 48 ASCII letters, digits and underscores, not in the pg_
// namespace PostgreSQL reserves.
func checkTable(name string) error {
	if len(name) > maxTable || !identifier.MatchString(name) || strings.HasPrefix(strings.ToLower(name), "pg_") {
		return fmt.Errorf("%w: pgstore: table name %q is not an identifier of at most %d letters, digits and underscores (not starting with a digit or pg_)", ratelimit.ErrInvalidArgument, name, maxTable)
	}
	return nil
}

// quote returns a checked identifier as a quoted SQL identifier.
func quote(ident string) string { return `"` + ident + `"` }

// literal returns a string of identifier characters as a SQL string literal.
func literal(s string) string { return "'" + s + "'" }

// queries are the SQL texts of a Store, made for its table.
type queries struct {
	migrateLock, schemaCheck, schema, stateSchema, blockSchema string   // the migration
	functions                                                  []string // each after those it calls
	callTake, callTakeState, callTakeBatch, callReset          string   // their calls
	callTryTake, callTryTakeState                              string
	callSettle, callSettleState, callBlocking, callHold        string
	sweepLog, sweepState, sweepBlock                           string
}

// newQueries renders the SQL files for table, which checkTable accepted.
func newQueries(table string) (queries, error) {
	data := struct {
		Table, State, KeyTSIndex, ExpiresIndex, StateIdleIndex string
		Blocks, BlockIdleIndex                                 string
		Take, TakeState, TakeBatch, Settle, SettleState        string
		DecideState, IdleAt, Reset                             string
		Blocking, BlockLength                                  string
		LockPrefix, MigratePrefix                              string
	}{
		Table:          quote(table),
		State:          quote(table + "_state"),
		KeyTSIndex:     quote(table + "_key_ts"),
		ExpiresIndex:   quote(table + "_expires"),
		StateIdleIndex: quote(table + "_state_idle"),
		Blocks:         quote(table + "_block"),
		BlockIdleIndex: quote(table + "_block_idle"),
		Take:           quote(table + "_take"),
		TakeState:      quote(table + "_take_state"),
		DecideState:    quote(table + "_decide_state"),
		TakeBatch:      quote(table + "_take_batch"),
		Settle:         quote(table + "_settle"),
		SettleState:    quote(table + "_settle_state"),
		IdleAt:         quote(table + "_idle_at"),
		Reset:          quote(table + "_reset"),
		Blocking:       quote(table + "_blocking"),
		BlockLength:    quote(table + "_block_length"),
		LockPrefix:     literal("gorate/ratelimit:" + table + ":"),
		MigratePrefix:  literal("gorate/ratelimit migrate:" + table),
	}
	files := []string{"idle_at.sql", "take.sql", "decide_state.sql", "take_state.sql", "settle.sql", "settle_state.sql", "reset.sql", "block_length.sql", "blocking.sql", "take_batch.sql"}
	q := queries{functions: make([]string, len(files))}
	for i, name := range files {
		if err := render(&q.functions[i], name, data); err != nil {
			return q, err
		}
	}
	for _, f := range []struct {
		dst  *string
		name string
	}{
		{&q.migrateLock, "migrate_lock.sql"}, {&q.schemaCheck, "schema_check.sql"},
		{&q.schema, "schema.sql"}, {&q.stateSchema, "state_schema.sql"}, {&q.blockSchema, "block_schema.sql"},
		{&q.callTake, "call_take.sql"}, {&q.callTakeState, "call_take_state.sql"}, {&q.callTakeBatch, "call_take_batch.sql"},
		{&q.callTryTake, "call_try_take.sql"}, {&q.callTryTakeState, "call_try_take_state.sql"},
		{&q.callReset, "call_reset.sql"},
		{&q.callSettle, "call_settle.sql"}, {&q.callSettleState, "call_settle_state.sql"},
		{&q.callBlocking, "call_blocking.sql"}, {&q.callHold, "call_hold.sql"},
		{&q.sweepLog, "sweep_log.sql"}, {&q.sweepState, "sweep_state.sql"}, {&q.sweepBlock, "sweep_block.sql"},
	} {
		if err := render(f.dst, f.name, data); err != nil {
			return q, err
		}
	}
	return q, nil
}

// render renders the SQL file name with data into dst.
func render(dst *string, name string, data any) error {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("pgstore: rendering %s: %w", name, err)
	}
	*dst = b.String()
	return nil
}
