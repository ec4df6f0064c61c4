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

	// The constant-state algorithms: one script each, without common.lua,
	// whose modes also serve Count and Leak.
	gcraSource    = standalone("gcra.lua")
	gcraScript    = redis.NewScript(gcraSource)
	counterSource = standalone("counter.lua")
	counterScript = redis.NewScript(counterSource)
)

// standalone returns the text of the script in file, alone.
func standalone(file string) string {
	body, err := luaFiles.ReadFile(file)
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	return string(body)
}

func newScript(file string) *redis.Script { return redis.NewScript(source(file)) }

// source returns the text of the script in file.
func source(file string) string {
	common, err := luaFiles.ReadFile("common.lua")
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	body, err := luaFiles.ReadFile(file)
	if err != nil {
		panic(err)
	}
	return string(common) + "\n" + string(body)
}
