package pgstore

import (
	"embed"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// DefaultTable is the table a Store keeps its rows in unless [WithTable]
// says otherwise.
const DefaultTable = "ratelimit"

// maxTable is the longest table name: PostgreSQL cuts identifiers at 63
// bytes, and the names of the state table, the indexes and the functions
// add a suffix to the table's (at most "_state_idle", 11 bytes).
const maxTable = 48

//go:embed sql/*.sql
var sqlFiles embed.FS

// templates holds the SQL files. They substitute the validated, quoted table
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
	schema, acquire, call, lock, migrateLock, now, drop string
	count, peek, flush, leakName, leakAll               string

	// The constant-state algorithms' state table and decision function.
	stateSchema, decide, decideCall, stateRead string
	stateFlush, stateLeakName, stateLeakAll    string
}

// newQueries renders the SQL files for table, which checkTable accepted.
func newQueries(table string) (queries, error) {
	data := struct {
		Table, NameTSIndex, TSIndex, Acquire, LockPrefix, MigratePrefix string
		State, StateIdleIndex, Decide                                   string
	}{
		Table:         quote(table),
		NameTSIndex:   quote(table + "_name_ts"),
		TSIndex:       quote(table + "_ts"),
		Acquire:       quote(table + "_acquire"),
		LockPrefix:    literal("gorate/ratelimit:" + table + ":"),
		MigratePrefix: literal("gorate/ratelimit migrate:" + table),

		State:          quote(table + "_state"),
		StateIdleIndex: quote(table + "_state_idle"),
		Decide:         quote(table + "_decide"),
	}
	var q queries
	for _, f := range []struct {
		dst  *string
		name string
	}{
		{&q.schema, "schema.sql"}, {&q.acquire, "acquire.sql"}, {&q.call, "call.sql"},
		{&q.lock, "lock.sql"}, {&q.migrateLock, "migrate_lock.sql"}, {&q.now, "now.sql"},
		{&q.drop, "drop.sql"}, {&q.count, "count.sql"}, {&q.peek, "peek.sql"},
		{&q.flush, "flush.sql"}, {&q.leakName, "leak_name.sql"}, {&q.leakAll, "leak_all.sql"},
		{&q.stateSchema, "state_schema.sql"}, {&q.decide, "decide.sql"}, {&q.decideCall, "decide_call.sql"},
		{&q.stateRead, "state_read.sql"}, {&q.stateFlush, "state_flush.sql"},
		{&q.stateLeakName, "state_leak_name.sql"}, {&q.stateLeakAll, "state_leak_all.sql"},
	} {
		var b strings.Builder
		if err := templates.ExecuteTemplate(&b, f.name, data); err != nil {
			return q, fmt.Errorf("pgstore: rendering %s: %w", f.name, err)
		}
		*f.dst = b.String()
	}
	return q, nil
}
