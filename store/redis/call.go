package redisstore

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// processor is what the put fast path needs of a client: the clients that
// send a command at once (not a pipeline, which only queues it).
type processor interface {
	Process(ctx context.Context, cmd redis.Cmder) error
}

// directProcessor returns client as a processor when it is one of
// go-redis's clients that run a command when asked, else nil.
func directProcessor(client redis.Scripter) processor {
	switch c := client.(type) {
	case *redis.Client:
		return c
	case *redis.ClusterClient:
		return c
	case *redis.Ring:
		return c
	}
	return nil
}

// Boxed once, so building a put's arguments converts none of them.
var (
	argEvalSha any = "evalsha"
	argEval    any = "eval"
	argPutSHA  any = putScript.Hash()
	argPutSrc  any = putSource
	argOneKey  any = "1"
	argNow     any = modeNow
	argPut     any = modePut
	argWaiting any = modeWaiting
)

// putCall is one put's arguments: the key and the item name are sent as
// pointers into it, which go-redis writes (and hashes for a Cluster slot)
// like strings, so neither is boxed on its own. It is not pooled: a
// go-redis hook may keep a command, and its arguments, after Process.
type putCall struct {
	args []any
	key  string
	name string
}

// runPut runs put.lua for one put and returns its reply.
func (s *Store) runPut(ctx context.Context, name, mode string, ts, weight int64, itemName string) ([]int64, error) {
	if s.proc == nil {
		args := make([]any, 0, 4+len(s.tail))
		args = append(args, mode, ts, weight, itemName)
		args = append(args, s.tail...)
		return putScript.Run(ctx, s.client, []string{s.key(name)}, args...).Int64Slice()
	}
	c := &putCall{args: make([]any, 0, 8+len(s.tail)), key: s.key(name), name: itemName}
	var m any
	switch mode {
	case modeNow:
		m = argNow
	case modePut:
		m = argPut
	default:
		m = argWaiting
	}
	c.args = append(c.args[:0], argEvalSha, argPutSHA, argOneKey, &c.key, m, ts, weight, &c.name)
	c.args = append(c.args, s.tail...)
	cmd := redis.NewIntSliceCmd(ctx, c.args...)
	err := s.proc.Process(ctx, cmd)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// Not cached on the server (a restart or SCRIPT FLUSH): EVAL
		// caches it again.
		c.args[0], c.args[1] = argEval, argPutSrc
		cmd = redis.NewIntSliceCmd(ctx, c.args...)
		err = s.proc.Process(ctx, cmd)
	}
	if err != nil {
		return nil, err
	}
	return cmd.Val(), nil
}
