package redisstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
	"github.com/gorate/ratelimit/core"
)

var _ ratelimit.Blocker = (*Store)(nil)

// TakeBlocking is Take under the block b, as [ratelimit.Blocker] says: a
// blocked key takes nothing and is denied until its block ends, and a denial
// that completes b's count blocks the key, in the same script as the take,
// run atomically on the server's clock (or the one of [WithClock]). The
// key's block (its end, its escalation level and the denials counted toward
// the next) is a second Redis key beside the key's state,
// prefix[g|c]b{h}key, in the same hash slot; it is written only when a
// denial counts or by [Store.Block], and expires once the block is over,
// would not escalate the next one, and no counted denial still counts
// (exactly then under the server's clock; under WithClock, at least a minute
// after its writing on the server's). It outlives the Store: a new Store
// over the same server and prefix sees the block. Reset deletes it with the
// state, unblocking the key. The errors are Take's, and one wrapping
// [ratelimit.ErrInvalidArgument] for a b that [ratelimit.Block.Validate]
// refuses.
func (s *Store) TakeBlocking(ctx context.Context, key string, rates ratelimit.Rates, n int64, b ratelimit.Block) (ratelimit.Decision, error) {
	if err := b.Validate(); err != nil {
		return ratelimit.Decision{}, fmt.Errorf("redisstore: key %.64q: %w", key, err)
	}
	return s.decide(ctx, newBlockArgs(b), key, rates, n, 0)
}

// Block blocks key for d from the server's clock (or the one of
// [WithClock]), as [ratelimit.Blocker] says, in one script run atomically
// like TakeBlocking's (the operation "hold", see block.lua): a key blocked
// longer already stays blocked as long, and the key's escalation stays as it
// was. The block is written to TakeBlocking's key, unless the key is blocked
// longer already, to expire at the later of the block's end and the key's
// expiry before (exactly then under the server's clock; under WithClock, at
// least a minute after its writing on the server's): a new Store over the
// same server and prefix sees it, and Reset deletes it. A d that is not a
// whole number of milliseconds from 1ms to [ratelimit.MaxInterval] is an
// error wrapping [ratelimit.ErrInvalidArgument], before any round trip; a
// failure is one wrapping [ErrServer].
func (s *Store) Block(ctx context.Context, key string, d time.Duration) error {
	n, err := core.BlockMillis(d)
	if err != nil {
		return fmt.Errorf("redisstore: key %.64q: %w", key, err)
	}
	if s.closed.Load() {
		return errClosed
	}
	op := &blockArgs{}
	c, err := s.command(op, key, "", n, 0)
	if err != nil {
		return err
	}
	if err := s.run(ctx, c); err != nil {
		return opError(op.name(), key, err)
	}
	return nil
}

// blockArgs is a block's part of its call, the op of the call (see argv),
// so that a take's call carries no room for it: the Redis key of the
// block state (set by command) and the Block as the scripts read it (see
// block.lua), or "" for a hold (Block's call, of n ms).
type blockArgs struct {
	key    string
	packed string
}

// newBlockArgs returns the arguments of a call under b, a valid Block.
func newBlockArgs(b ratelimit.Block) *blockArgs {
	limit := b.Max
	if limit == 0 {
		limit = ratelimit.MaxInterval
	}
	var buf [40]byte
	for i, v := range [5]int64{ms(b.For), b.After, ms(b.Within), b.Factor, ms(limit)} {
		binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
	}
	return &blockArgs{packed: string(buf[:])}
}

// ms returns d in whole milliseconds.
func ms(d time.Duration) int64 { return int64(d / time.Millisecond) }

// argv returns the command of c, a block's call: EVALSHA sha 2 key, the
// block's key, then the take's arguments with op "block", and the block;
// or a hold's: EVALSHA sha 2 key, the block's key, "hold", the time and n.
func (b *blockArgs) argv(c *call) []any {
	if b.packed == "" {
		return []any{c.args[0], c.args[1], "2", &c.key, &b.key, "hold", c.args[5], &c.n}
	}
	return []any{c.args[0], c.args[1], "2", &c.key, &b.key, "block", c.args[5], &c.n, &c.rates, &b.packed}
}

// name returns the scripts' name of b's operation, "block" or "hold".
func (b *blockArgs) name() string {
	if b.packed == "" {
		return "hold"
	}
	return "block"
}
