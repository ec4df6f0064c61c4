package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Block blocks a key for a while once it has been denied: while blocked, the
// key admits nothing, whatever its rates would allow, and every take of it
// is denied with [Decision].Blocked set and a RetryAfter exact to the end of
// the block (or later, if the key's rates still deny then). A Block is an
// [Option] of [New]; its store must implement [Blocker], which keeps the
// block in the same atomic step as the take that sets it, so that a block is
// as durable and as shared as the store.
//
// A denial counts toward a block only when it is of a take of at least one
// unit that some wait could cure: a take of 0 units and one denied with
// RetryAfter [Never] (a weight above the smallest limit) are not counted.
// Denials while blocked neither count nor lengthen the block.
//
// [Limiter.Reset] unblocks a key at once: it forgets the key's block, the
// denials counted toward the next one, and the key's units, so that its
// next take is admitted. A Block{For: 10 * time.Minute} blocks a key for
// ten minutes at its first denial. The zero Block blocks no key on its own:
// a limiter made with it keeps only the blocks set by [Limiter.Block], such
// as the delays a server asks of an outbound client.
type Block struct {
	// For is how long a block lasts: a whole number of milliseconds from
	// 1ms to [MaxInterval].
	For time.Duration
	// After is the number of denials that block the key, counted within
	// Within of the first of them: 0 and 1 block it at its first denial.
	After int64
	// Within is how long denials are counted toward After, from the first
	// counted: a whole number of milliseconds from 1ms to MaxInterval when
	// After is above 1, 0 otherwise.
	Within time.Duration
	// Factor escalates blocks: a block that begins less than the previous
	// block's length after its end lasts Factor times as long as it did,
	// up to Max. 0 and 1 do not escalate.
	Factor int64
	// Max caps the length of an escalated block: 0 caps it at
	// MaxInterval; otherwise a whole number of milliseconds from For to
	// MaxInterval. It needs a Factor above 1.
	Max time.Duration
}

func (b Block) apply(c *config) { c.block = &b }

// Validate reports whether every store can keep b, naming the first bad
// field in an error that wraps [ErrInvalidArgument]. The zero Block is
// valid. [New] and every [Blocker] call it.
func (b Block) Validate() error {
	switch {
	case b == Block{}:
		return nil
	case !wholeMillis(b.For):
		return errorf(ErrInvalidArgument, "block for %v: the length must be a whole number of milliseconds from 1ms to 100 years", b.For)
	case b.After < 0:
		return errorf(ErrInvalidArgument, "block after %d denials: the count is negative", b.After)
	case b.After > 1 && !wholeMillis(b.Within):
		return errorf(ErrInvalidArgument, "block after %d denials within %v: the window must be a whole number of milliseconds from 1ms to 100 years", b.After, b.Within)
	case b.After <= 1 && b.Within != 0:
		return errorf(ErrInvalidArgument, "block within %v: a window needs a count of denials above 1", b.Within)
	case b.Factor < 0:
		return errorf(ErrInvalidArgument, "block factor %d is negative", b.Factor)
	case b.Max != 0 && b.Factor <= 1:
		return errorf(ErrInvalidArgument, "block for at most %v: a cap needs a factor above 1", b.Max)
	case b.Max != 0 && (!wholeMillis(b.Max) || b.Max < b.For):
		return errorf(ErrInvalidArgument, "block for at most %v: the cap must be a whole number of milliseconds from the length %v to 100 years", b.Max, b.For)
	}
	return nil
}

// wholeMillis reports whether d is a whole number of milliseconds from 1ms
// to [MaxInterval], the lengths a store keeps.
func wholeMillis(d time.Duration) bool {
	return d >= time.Millisecond && d%time.Millisecond == 0 && d <= MaxInterval
}

// Blocker is implemented by stores that can block keys ([Block]).
//
// TakeBlocking is [Store.Take] under a block: while key is blocked it takes
// nothing and returns the denial that says so ([Decision].Blocked, Remaining
// 0, RetryAfter at least the time left of the block); otherwise it takes as
// Take does and, when the take is denied, counts the denial under b and
// blocks key when b says so, all in the same atomic step. A take of 0 units
// reports the key's standing: denied while it is blocked. Blocks are kept
// apart from the key's units: Take and [Checker] do not see them, and
// [Resetter] forgets them with the units, which is how a key is unblocked.
// b must pass [Block.Validate]; otherwise the error wraps
// [ErrInvalidArgument]. The zero b counts no denial: only Block blocks
// the key.
//
// Block blocks key for d from the store's clock, in the same way: until
// then TakeBlocking denies it whatever its block b. A key blocked longer
// already stays blocked as long. A block set by Block escalates no later
// block: the key's escalation stays as it was. d must be a whole number of
// milliseconds from 1ms to [MaxInterval]; otherwise the error wraps
// [ErrInvalidArgument].
type Blocker interface {
	TakeBlocking(ctx context.Context, key string, rates Rates, n int64, b Block) (Decision, error)
	Block(ctx context.Context, key string, d time.Duration) error
}

// Block blocks key for d from the store's clock, in every process that
// shares the store: until then the limiter denies key's takes with
// [Decision].Blocked and a RetryAfter exact to the block's end, as after a
// denial under its [Block] option. A key blocked longer already stays
// blocked as long, and [Limiter.Reset] lifts the block. It bans a key, or
// holds back the calls a server asked to delay (httplimit's Transport does).
// d is rounded up to a whole millisecond.
//
// The limiter must have been made with a Block option (the zero Block keeps
// blocks without blocking keys on its own) over a store that implements
// [Blocker]; otherwise the error wraps [errors.ErrUnsupported]. d must be
// above 0 and at most [MaxInterval]; otherwise the error wraps
// [ErrInvalidArgument]. After Close, the error wraps [ErrClosed].
func (l *Limiter) Block(ctx context.Context, key string, d time.Duration) error {
	if l.blocker == nil {
		return fmt.Errorf("ratelimit: the limiter keeps no blocks (make it with a Block option): %w", errors.ErrUnsupported)
	}
	if err := l.refuse(key, 0); err != nil {
		return err
	}
	if d <= 0 || d > MaxInterval {
		return errorf(ErrInvalidArgument, "block %q for %v: the length must be above 0 and at most 100 years", key, d)
	}
	return l.blocker.Block(ctx, l.prefix+key, (d + time.Millisecond - 1).Truncate(time.Millisecond))
}
