package redisstore

import (
	"embed"

	"github.com/gorate/ratelimit"
)

//go:embed *.lua
var luaFiles embed.FS

// The scripts' texts: block.lua followed by log.lua for the log, and by
// state.lua, its own file and state_end.lua for GCRA and the counter.
var (
	logSource     = concat("block.lua", "log.lua")
	gcraSource    = concat("block.lua", "state.lua", "gcra.lua", "state_end.lua")
	counterSource = concat("block.lua", "state.lua", "counter.lua", "state_end.lua")
)

// script returns the text of algorithm a's script and the mark a's keys
// carry after the prefix (see key.go); a is valid.
func script(a ratelimit.Algorithm) (src, mark string) {
	switch a {
	case ratelimit.GCRA:
		return gcraSource, "g"
	case ratelimit.SlidingWindowCounter:
		return counterSource, "c"
	}
	return logSource, ""
}

// concat returns the text of files, one after the other.
func concat(files ...string) string {
	var s string
	for _, f := range files {
		b, err := luaFiles.ReadFile(f)
		if err != nil {
			panic(err) // embedded: cannot happen
		}
		s += string(b) + "\n"
	}
	return s
}
