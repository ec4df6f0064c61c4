package sqlitestore

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

//go:embed sql/*.sql
var sqlFiles embed.FS

// templates holds the SQL files. They substitute the validated, quoted table
// name and the index names made from it, nothing else; every value is a
// bound parameter.
var templates = template.Must(template.New("").Option("missingkey=error").ParseFS(sqlFiles, "sql/*.sql"))

// identifier is what a table name must look like.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkTable reports whether name is usable as a table name: an identifier
// of at most 63 characters, not in the sqlite_ namespace SQLite reserves.
func checkTable(name string) error {
	if len(name) > 63 || !identifier.MatchString(name) || strings.HasPrefix(strings.ToLower(name), "sqlite_") {
		return fmt.Errorf("%w: sqlitestore: table name %q is not an identifier of at most 63 letters, digits and underscores (not starting with a digit or sqlite_)", ratelimit.ErrInvalidArgument, name)
	}
	return nil
}

// quote returns a checked identifier as a quoted SQL identifier.
func quote(ident string) string { return `"` + ident + `"` }

// queries are the SQL texts of a Store, made for its table and rates.
type queries struct {
	schema, window, nth, insert, position, shiftOut, shiftBack string
	count, peek, flush, leakName, leakAll                      string

	// The state table's, for a constant-state algorithm.
	stateSchema, stateGet, stateSet, stateFlush, stateLeakName, stateLeakAll string
}

// newQueries renders the SQL files for table, which checkTable accepted,
// a list of rates long, and alg, whose state table (for a constant-state
// algorithm) is table_gcra or table_counter.
func newQueries(table string, rates int, alg algorithm) (queries, error) {
	state := table + "_" + alg.tableSuffix()
	data := struct {
		Table, NameTSIndex, TSIndex string
		StateTable, StateIdleIndex  string
		Rates                       []struct{}
	}{quote(table), quote(table + "_name_ts"), quote(table + "_ts"), quote(state), quote(state + "_idle_at"), make([]struct{}, rates)}
	var q queries
	for _, f := range []struct {
		dst  *string
		name string
	}{
		{&q.schema, "schema.sql"}, {&q.window, "window.sql"}, {&q.nth, "nth.sql"},
		{&q.insert, "insert.sql"}, {&q.position, "position.sql"}, {&q.shiftOut, "shift_out.sql"},
		{&q.shiftBack, "shift_back.sql"}, {&q.count, "count.sql"}, {&q.peek, "peek.sql"},
		{&q.flush, "flush.sql"}, {&q.leakName, "leak_name.sql"}, {&q.leakAll, "leak_all.sql"},
		{&q.stateSchema, "state_schema.sql"}, {&q.stateGet, "state_get.sql"}, {&q.stateSet, "state_set.sql"},
		{&q.stateFlush, "state_flush.sql"}, {&q.stateLeakName, "state_leak_name.sql"}, {&q.stateLeakAll, "state_leak_all.sql"},
	} {
		var b strings.Builder
		if err := templates.ExecuteTemplate(&b, f.name, data); err != nil {
			return q, fmt.Errorf("sqlitestore: rendering %s: %w", f.name, err)
		}
		*f.dst = b.String()
	}
	return q, nil
}
