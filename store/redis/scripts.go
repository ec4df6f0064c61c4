package redisstore

import (
	"embed"

	"github.com/redis/go-redis/v9"
)

//go:embed *.lua
var luaFiles embed.FS

// The scripts, each common.lua followed by its own file. Script.Run sends
// EVALSHA and falls back to EVAL (which caches the script again) on
// NOSCRIPT, as after a server restart or SCRIPT FLUSH.
var (
	putSource   = source("put.lua")
	putScript   = redis.NewScript(putSource)
	peekScript  = newScript("peek.lua")
	countScript = newScript("count.lua")
	leakScript  = newScript("leak.lua")
	flushScript = newScript("flush.lua")
	nowScript   = newScript("now.lua")

	// The constant-state algorithms: one script each, state.lua followed
	// by its own file, whose modes also serve Count and Leak.
	gcraSource    = concat("state.lua", "gcra.lua")
	gcraScript    = redis.NewScript(gcraSource)
	counterSource = concat("state.lua", "counter.lua")
	counterScript = redis.NewScript(counterSource)
)

func newScript(file string) *redis.Script { return redis.NewScript(source(file)) }

// source returns the text of the log's script in file: common.lua, then the
// file.
func source(file string) string { return concat("common.lua", file) }

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
