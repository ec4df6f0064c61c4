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
	putScript   = newScript("put.lua")
	peekScript  = newScript("peek.lua")
	countScript = newScript("count.lua")
	leakScript  = newScript("leak.lua")
	flushScript = newScript("flush.lua")
	nowScript   = newScript("now.lua")
)

func newScript(file string) *redis.Script {
	common, err := luaFiles.ReadFile("common.lua")
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	body, err := luaFiles.ReadFile(file)
	if err != nil {
		panic(err)
	}
	return redis.NewScript(string(common) + "\n" + string(body))
}
