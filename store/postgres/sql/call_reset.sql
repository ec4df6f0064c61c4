-- A reset: one call of the reset function. Parameter: key.
SELECT {{.Reset}}($1)
