package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
	"github.com/redis/go-redis/v9"
)

// maxExact is the largest integer Lua's numbers (doubles) hold exactly.
const maxExact = 1 << 53

// call is one decision's command: its arguments point into it, and
// go-redis writes the pointers (and hashes the key for a Cluster slot) as
// it writes values, so no argument is boxed on its own. It is not pooled: a
// go-redis hook may keep a command, and its arguments, after Process. It
// also carries the call through the Store's batcher (see batch.go).
type call struct {
	// args: EVALSHA sha 1 key op time n rates, as the scripts read them;
	// a refund adds the refunded take's time, at, and a block's op is its
	// *blockArgs (see argv).
	args  [8]any
	key   string
	rates string
	now   int64
	n     int64
	at    int64

	cmd *redis.StringCmd
	res reply
	err error
	// deadline is the caller's context's in Unix nanoseconds, 0 if none
	// (a time.Time would take the call to a larger size class).
	deadline int64

	// ready receives once the call has its outcome, and before, once
	// the call is made a batch's leader; made only for a call that may
	// wait.
	ready chan struct{}
	state int    // under batcher.mu: queued, leading or batched
	batch *batch // set with state leading or batched
}

// decide runs the Store's script for n units under key against rates: op is
// "take", "check", "refund" (of a take at at) or "charge", as the scripts
// read it (boxed at the call site, where it is a constant), or a block's
// *blockArgs.
func (s *Store) decide(ctx context.Context, op any, key string, rates ratelimit.Rates, n, at int64) (ratelimit.Decision, error) {
	if n < 0 {
		return ratelimit.Decision{}, fmt.Errorf("%w: redisstore: n %d for %.64q is negative", ratelimit.ErrInvalidArgument, n, key)
	}
	if s.closed.Load() {
		return ratelimit.Decision{}, errClosed
	}
	c, err := s.newCall(op, key, rates, n, at)
	if err != nil {
		return ratelimit.Decision{}, err
	}
	if err := s.run(ctx, c); err != nil {
		return ratelimit.Decision{}, opError(opName(op), key, err)
	}
	r := &c.res
	i := int(r[1]) - 1
	if i < 0 || i >= len(rates) {
		return ratelimit.Decision{}, opError(opName(op), key, errReply)
	}
	d := ratelimit.Decision{
		Allowed:    r[0] == 1,
		Blocked:    r[0] == 2,
		Rate:       rates[i],
		Remaining:  r[2],
		RetryAfter: ratelimit.Never,
		ResetAfter: time.Duration(r[4]) * time.Millisecond,
		At:         r[5],
	}
	if r[3] >= 0 {
		d.RetryAfter = time.Duration(r[3]) * time.Millisecond
	}
	return d, nil
}

// newCall returns the call of op for n units under key against rates (and
// for a refund, of the take at at), its time read from the Store's clock
// (when it has one), after checking them.
func (s *Store) newCall(op any, key string, rates ratelimit.Rates, n, at int64) (*call, error) {
	packed, err := s.pack(rates)
	if err != nil {
		return nil, err
	}
	// A weight above the smallest limit never fits; any such weight gives
	// the same decision, so the script sees one it holds exactly.
	return s.command(op, key, packed, min(n, rates[0].Limit+1), at)
}

// command returns the call of op with n (and for a refund, at) under key
// against rates as pack packs them ("" for a hold), its time read from the
// Store's clock (when it has one), after checking the reading.
func (s *Store) command(op any, key, rates string, n, at int64) (*call, error) {
	c := &call{key: s.key(key), rates: rates, n: n, at: at}
	c.args = [8]any{"evalsha", s.sha, "1", &c.key, op, "", &c.n, &c.rates}
	if b, ok := op.(*blockArgs); ok {
		b.key = s.blockKey(c.key)
	}
	if s.clock != nil {
		if c.now = s.clock.Now(); c.now > maxExact || c.now < -maxExact {
			return nil, fmt.Errorf("%w: redisstore: clock reading %d is beyond ±2^53 ms", ratelimit.ErrInvalidArgument, c.now)
		}
		c.args[5] = &c.now
	}
	return c, nil
}

// pack returns rates as the scripts read them, each rate's limit and
// interval in ms as two little-endian 8-byte integers, after checking that
// the scripts can hold them exactly.
func (s *Store) pack(rates ratelimit.Rates) (string, error) {
	if len(rates) == 0 {
		return "", fmt.Errorf("%w: redisstore: no rates", ratelimit.ErrInvalidRate)
	}
	if err := core.Validate(s.alg, rates); err != nil {
		return "", fmt.Errorf("redisstore: %w", err)
	}
	var b strings.Builder
	b.Grow(16 * len(rates))
	var buf [16]byte
	for _, r := range rates {
		if r.Limit > maxExact {
			return "", fmt.Errorf("%w: redisstore: rate %v of %v: want limits in 1..2^53", ratelimit.ErrInvalidRate, r, rates)
		}
		binary.LittleEndian.PutUint64(buf[:8], uint64(r.Limit))
		binary.LittleEndian.PutUint64(buf[8:], uint64(r.IntervalMillis()))
		b.Write(buf[:])
	}
	return b.String(), nil
}

// argv returns c's command: args, and for a refund at (in a slice of its
// own, so that a take's call carries no room for it); a block's is its
// own (see blockArgs.argv).
func (c *call) argv() []any {
	switch op := c.args[4].(type) {
	case *blockArgs:
		return op.argv(c)
	case string:
		if op == "refund" {
			return append(c.args[:len(c.args):len(c.args)], &c.at)
		}
	}
	return c.args[:]
}

// opName returns the name of op, decide's.
func opName(op any) string {
	if b, ok := op.(*blockArgs); ok {
		return b.name()
	}
	return op.(string)
}

// send sends c alone into c.res, with no bound but ctx's and the
// client's.
func (s *Store) send(ctx context.Context, c *call) error {
	c.cmd = redis.NewStringCmd(ctx, c.argv()...)
	err := s.client.Process(ctx, c.cmd)
	if err != nil && noScript(err) {
		// Not cached on the server (a restart or SCRIPT FLUSH): EVAL
		// caches it again.
		c.args[0], c.args[1] = "eval", s.src
		c.cmd = redis.NewStringCmd(ctx, c.argv()...)
		err = s.client.Process(ctx, c.cmd)
	}
	if err != nil {
		return err
	}
	return c.res.decode(c.cmd.Val())
}

// sendAll sends calls as one pipeline (which go-redis splits by node on a
// Cluster or Ring), each call its own command, but for takes of one key,
// which go as one command (see gather); then, as further
// pipelines, the commands the server answered NOSCRIPT again by EVAL, and
// the takes of a command the script could not decide together one by one;
// setting each call's c.err or c.res.
func (s *Store) sendAll(ctx context.Context, calls []*call) {
	pipe := s.client.Pipeline()
	// A command goes again at most once by EVAL, and a command of several
	// takes at most once as a command a take, so this ends within four
	// rounds.
	for sends := s.gather(calls); len(sends) > 0; {
		for _, sd := range sends {
			sd.cmd = redis.NewStringCmd(ctx, sd.args...)
			_ = pipe.Process(ctx, sd.cmd) // queues it
		}
		_, _ = pipe.Exec(ctx) // each command holds its own error
		var again []*batchCmd
		for _, sd := range sends {
			again = sd.finish(s.src, again)
		}
		sends = again
	}
}

// batchCmd is one command of a batch: one call's, or the takes of several.
type batchCmd struct {
	calls []*call
	args  []any
	cmd   *redis.StringCmd
}

// gather returns the commands of calls: the takes of one key against the
// same rates at the same time (the server's, or one reading of the Store's
// clock) as one command, the script's "takes", which decides them in turn,
// exactly as one by one, and stores their units at once (under the log, as
// one run); any other call as a command of its own. It allocates
// per batch, not per call, but for the calls of a command of several.
func (s *Store) gather(calls []*call) []*batchCmd {
	cmds := make([]batchCmd, 0, len(calls))
	var keys map[string]int // the takes' commands, by key
	for i, c := range calls {
		one := calls[i : i+1 : i+1] // a take joining it copies it
		if c.args[4] != "take" {
			cmds = append(cmds, batchCmd{calls: one, args: c.argv()})
			continue
		}
		if keys == nil {
			keys = make(map[string]int, len(calls))
		}
		j, ok := keys[c.key]
		if !ok || cmds[j].calls[0].rates != c.rates || cmds[j].calls[0].now != c.now {
			keys[c.key] = len(cmds)
			cmds = append(cmds, batchCmd{calls: one, args: c.argv()})
			continue
		}
		cmds[j].calls = append(cmds[j].calls, c)
	}
	sends := make([]*batchCmd, len(cmds))
	for i := range cmds {
		sd := &cmds[i]
		sends[i] = sd
		if len(sd.calls) > 1 {
			c := sd.calls[0]
			weights := make([]byte, 0, 8*len(sd.calls))
			for _, t := range sd.calls {
				weights = binary.LittleEndian.AppendUint64(weights, uint64(t.n))
			}
			sd.args = []any{c.args[0], c.args[1], "1", &c.key, "takes", c.args[5], "0", &c.rates, weights}
		}
	}
	return sends
}

// finish hands sd's reply to its calls, or appends to again what to send
// once more: sd by EVAL of src when the server did not hold the script,
// or, when the script could not decide sd's takes together, each take as
// a command of its own.
func (sd *batchCmd) finish(src any, again []*batchCmd) []*batchCmd {
	err := sd.cmd.Err()
	if err != nil && noScript(err) && sd.args[0] != "eval" {
		sd.args[0], sd.args[1] = "eval", src
		return append(again, sd)
	}
	v, size := sd.cmd.Val(), 8*len(reply{})
	switch {
	case err != nil:
	case v == "" && len(sd.calls) > 1:
		for i, c := range sd.calls {
			again = append(again, &batchCmd{calls: sd.calls[i : i+1 : i+1], args: c.argv()})
		}
		return again
	case len(v) != size*len(sd.calls):
		err = errReply
	}
	for i, c := range sd.calls {
		if c.err = err; err == nil {
			c.err = c.res.decode(v[size*i : size*i+size])
		}
	}
	return again
}

// noScript reports whether err is the server's answer to EVALSHA of a
// script it does not hold.
func noScript(err error) bool { return redis.HasErrorPrefix(err, "NOSCRIPT") }

// reply is the decision a script returns: allowed (0 or 1, or 2 for a
// blocked key's denial), rate index (1-based), remaining, retry-after in
// ms (-1 for never), reset-after in ms, and the script's time in ms.
type reply [6]int64

var errReply = errors.New("unexpected reply from the script")

// decode reads a script's reply, one string packing its integers
// little-endian.
func (r *reply) decode(v string) error {
	if len(v) != 8*len(r) {
		return errReply
	}
	for i := range r {
		r[i] = int64(binary.LittleEndian.Uint64([]byte(v[8*i : 8*i+8])))
	}
	return nil
}
