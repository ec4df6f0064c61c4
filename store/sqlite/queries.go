package sqlitestore

import (
	"embed"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/gorate/ratelimit"
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

// algorithm is the admission algorithm of a Store.
type algorithm uint8

const (
	algLog     algorithm = iota // ratelimit.SlidingWindowLog, one row per take in the table
	algGCRA                     // ratelimit.GCRA, one row per key in table_gcra
	algCounter                  // ratelimit.SlidingWindowCounter, one row per key in table_counter
)

func algorithmOf(a ratelimit.Algorithm) algorithm {
	switch a {
	case ratelimit.GCRA:
		return algGCRA
	case ratelimit.SlidingWindowCounter:
		return algCounter
	}
	return algLog
}

// public returns the algorithm's name.
func (a algorithm) public() ratelimit.Algorithm {
	switch a {
	case algGCRA:
		return ratelimit.GCRA
	case algCounter:
		return ratelimit.SlidingWindowCounter
	}
	return ratelimit.SlidingWindowLog
}

// queries are the SQL texts of a Store, made for its table and algorithm.
type queries struct {
	// table is the table the store's rows are in, unquoted: the log's
	// table, or the algorithm's state table; columns are the columns it
	// must have, in order.
	table   string
	columns []string
	// blockTable is the table of the store's blocks, unquoted: table's
	// name plus _block; blockColumns are the columns it must have.
	blockTable   string
	blockColumns []string
	// schema creates the table, blockSchema the block table; the other
	// statements are those of the store's algorithm, then the block
	// table's.
	schema, blockSchema, columnsOf, nth, insert, extend, reset, sweep string
	stamped, unstamp, shift                                           string // the log's refund
	get, set                                                          string // the state table's, for GCRA and the counter
	blockGet, blockSet, blockReset, blockSweep                        string
	data                                                              templateData
}

type templateData struct {
	Table, KeyTSIndex, ExpiresIndex, StateTable, StateIdleIndex string
	BlockTable, BlockIdleIndex                                  string
	Rates                                                       []struct{}
}

// newQueries renders the SQL files for table, which checkTable accepted,
// and alg, whose state table (for a constant-state algorithm) is
// table_gcra or table_counter. The block table is the store's table (the
// log's or the state table) plus _block.
func newQueries(table string, alg algorithm) (queries, error) {
	state := table + "_gcra"
	if alg == algCounter {
		state = table + "_counter"
	}
	blocks := table + "_block"
	if alg != algLog {
		blocks = state + "_block"
	}
	q := queries{data: templateData{
		Table: quote(table), KeyTSIndex: quote(table + "_key_ts"), ExpiresIndex: quote(table + "_expires"),
		StateTable: quote(state), StateIdleIndex: quote(state + "_idle_at"),
		BlockTable: quote(blocks), BlockIdleIndex: quote(blocks + "_idle_at"),
	}}
	q.blockTable, q.blockColumns = blocks, []string{"key", "until_at", "level", "denials", "since", "idle_at"}
	type file struct {
		dst  *string
		name string
	}
	files := []file{{&q.columnsOf, "columns.sql"}, {&q.blockSchema, "block_schema.sql"}, {&q.blockGet, "block_get.sql"},
		{&q.blockSet, "block_set.sql"}, {&q.blockReset, "block_reset.sql"}, {&q.blockSweep, "block_sweep.sql"}}
	if alg == algLog {
		q.table, q.columns = table, []string{"key", "before", "ts", "weight", "expires"}
		files = append(files, file{&q.schema, "schema.sql"}, file{&q.nth, "nth.sql"}, file{&q.insert, "insert.sql"},
			file{&q.extend, "extend.sql"}, file{&q.reset, "reset.sql"}, file{&q.sweep, "sweep.sql"},
			file{&q.stamped, "stamped.sql"}, file{&q.unstamp, "unstamp.sql"}, file{&q.shift, "shift.sql"})
	} else {
		q.table, q.columns = state, []string{"key", "state", "idle_at"}
		files = append(files, file{&q.schema, "state_schema.sql"}, file{&q.get, "state_get.sql"}, file{&q.set, "state_set.sql"},
			file{&q.reset, "state_reset.sql"}, file{&q.sweep, "state_sweep.sql"})
	}
	for _, f := range files {
		var err error
		if *f.dst, err = q.render(f.name); err != nil {
			return q, err
		}
	}
	return q, nil
}

// window renders the log's window query for a list of rates rates long.
func (q *queries) window(rates int) (string, error) {
	d := q.data
	d.Rates = make([]struct{}, rates)
	return render("window.sql", d)
}

func (q *queries) render(name string) (string, error) { return render(name, q.data) }

func render(name string, data templateData) (string, error) {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("sqlitestore: rendering %s: %w", name, err)
	}
	return b.String(), nil
}
