package pgstore

// StoredName is storedName for the external tests: the bytes the tables
// keep for name.
func StoredName(name string) string { return string(storedName(name)) }
