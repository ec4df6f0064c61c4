-- Returns the clock of the server that holds the log, in milliseconds.
return clock()
