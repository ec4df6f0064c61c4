package redisstore

import (
	"context"
	"encoding/binary"
	"errors"

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

// putReply is the decision a put script returns: allowed (0 or 1), rate
// index (1-based), remaining, retry-after in ms (-1 for never), reset-after
// in ms, time.
type putReply [6]int64

// runPut runs the put script of the Store's algorithm (put.lua, gcra.lua
// or counter.lua) for one put into *res, bounded by ctx (see bounded). Only
// put.lua takes the item name; each replies with the six integers packed
// in one string.
func (s *Store) runPut(ctx context.Context, res *putReply, name, mode string, ts, weight int64, itemName string) error {
	if unbounded(ctx) {
		return s.sendPut(ctx, res, name, mode, ts, weight, itemName)
	}
	r, err := bounded(ctx, func(ctx context.Context) (putReply, error) {
		var r putReply
		err := s.sendPut(ctx, &r, name, mode, ts, weight, itemName)
		return r, err
	})
	*res = r
	return err
}

// sendPut is runPut unbounded.
func (s *Store) sendPut(ctx context.Context, res *putReply, name, mode string, ts, weight int64, itemName string) error {
	if s.proc == nil {
		args := make([]any, 0, 4+len(s.tail))
		args = append(args, mode, ts, weight)
		if s.alg == algLog {
			args = append(args, itemName)
		}
		args = append(args, s.tail...)
		return res.decode(s.script.Run(ctx, s.client, []string{s.key(name)}, args...))
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
	c.args = append(c.args[:0], argEvalSha, s.sha, argOneKey, &c.key, m, ts, weight)
	if s.alg == algLog {
		c.args = append(c.args, &c.name)
	}
	c.args = append(c.args, s.tail...)
	cmd := s.newPutCmd(ctx, c.args)
	err := s.proc.Process(ctx, cmd)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// Not cached on the server (a restart or SCRIPT FLUSH): EVAL
		// caches it again.
		c.args[0], c.args[1] = argEval, s.src
		cmd = s.newPutCmd(ctx, c.args)
		err = s.proc.Process(ctx, cmd)
	}
	if err != nil {
		return err
	}
	return res.decode(cmd)
}

// newPutCmd returns the command that reads the reply of a put script.
func (s *Store) newPutCmd(ctx context.Context, args []any) redis.Cmder {
	return redis.NewStringCmd(ctx, args...)
}

var errPutReply = errors.New("unexpected reply from put script")

// decode reads a put script's reply from cmd, run: one string packing six
// integers little-endian.
func (res *putReply) decode(cmd redis.Cmder) error {
	if err := cmd.Err(); err != nil {
		return err
	}
	var v string
	switch c := cmd.(type) {
	case *redis.StringCmd:
		v = c.Val()
	case *redis.Cmd: // Script.Run
		v, _ = c.Text()
	}
	if len(v) != 8*len(res) {
		return errPutReply
	}
	for i := range res {
		res[i] = int64(binary.LittleEndian.Uint64([]byte(v[8*i : 8*i+8])))
	}
	return nil
}
