package core

import (
	"fmt"
	"time"

	"github.com/gorate/ratelimit"
)

// BlockState is one key's block under a [ratelimit.Block], for stores that
// decide in Go; the Redis store's Lua and the PostgreSQL store's PL/pgSQL
// mirror it. The zero value is a key never blocked, with no denial
// counted; a store may persist the fields as they are and load them back,
// and drop the state from Idle on.
//
// A store's TakeBlocking reads the key's BlockState, judges the take
// without taking when [BlockState.Blocks] says the key is blocked and as a
// take otherwise, then passes the decision to [BlockState.Judge] and keeps
// the state it leaves, all in one atomic step.
type BlockState struct {
	// Until is the end of the key's last block: it is blocked while the
	// clock reads less, once blocked (Level above 0).
	Until int64
	// Level counts the blocks in a row, each escalated from the one before:
	// 0 before the first block, then 1 for a block of Block.For.
	Level int64
	// Denials counts the denials toward the next block, since Since.
	Denials int64
	// Since is when the first of Denials was counted.
	Since int64
	// Idle is when the state becomes as good as the zero value: the
	// block is over, the next block would not escalate, and no counted
	// denial still counts.
	Idle int64
}

// maxLevel bounds BlockState.Level: a block of 1ms escalated by a factor of
// 2 reaches 100 years in 42 levels.
const maxLevel = 64

// Blocks reports whether the key is blocked at now (milliseconds, which may
// be negative in a clock's domain).
func (s *BlockState) Blocks(now int64) bool { return s.Level > 0 && now < s.Until }

// Judge finishes d, the decision on a take of n units at now under b: the
// decision of a check (consuming nothing) when s blocks at now, of a take
// otherwise. While blocked, d becomes the block's denial. Otherwise a denial
// is counted, unless n is 0, no wait can cure it (RetryAfter
// [ratelimit.Never]) or b is the zero Block, and when it completes b.After
// denials the key is blocked from now: for b.For, or escalated by b.Factor
// when the block begins less than the previous block's length after its
// end and before Idle, up to b.Max. d then becomes the block's denial. b
// must pass [ratelimit.Block.Validate].
func (s *BlockState) Judge(d *ratelimit.Decision, b ratelimit.Block, now, n int64) {
	if s.Blocks(now) {
		blocked(d, s.Until-now)
		return
	}
	if d.Allowed || n == 0 || d.RetryAfter == ratelimit.Never || b.For == 0 {
		return // nothing to count, or (the zero b) nothing counts
	}
	within := msOf(b.Within)
	if b.After > 1 {
		if s.Denials == 0 || now-s.Since >= within {
			s.Since, s.Denials = now, 0
		}
		if s.Denials++; s.Denials < b.After {
			s.Idle = max(s.Idle, s.Since+within)
			return
		}
		s.Denials = 0
	}
	if s.Level > 0 && now < s.Until+blockLength(b, s.Level) && now < s.Idle {
		s.Level = min(s.Level+1, maxLevel)
	} else {
		s.Level = 1
	}
	length := blockLength(b, s.Level)
	s.Until = now + length
	s.Idle = s.Until + length // no denial counts any more
	blocked(d, length)
}

// Hold blocks the key from now for d milliseconds, unless it is blocked
// longer already ([ratelimit.Blocker].Block). It leaves the escalation as
// it was: a key never blocked gets level 1, so that it [BlockState.Blocks],
// and Idle moves no later than the hold's end, so that once the hold is
// over the next block escalates only as an earlier block made it.
func (s *BlockState) Hold(now, d int64) {
	if s.Blocks(now) && s.Until >= now+d {
		return
	}
	s.Level = max(s.Level, 1)
	s.Until = now + d
	s.Idle = max(s.Idle, s.Until)
}

// BlockMillis returns d, the length of a block set by
// [ratelimit.Blocker].Block, in milliseconds, or an error wrapping
// [ratelimit.ErrInvalidArgument] when d is not a whole number of
// milliseconds from 1ms to [ratelimit.MaxInterval].
func BlockMillis(d time.Duration) (int64, error) {
	if d < time.Millisecond || d%time.Millisecond != 0 || d > ratelimit.MaxInterval {
		return 0, fmt.Errorf("%w: block for %v: the length must be a whole number of milliseconds from 1ms to 100 years", ratelimit.ErrInvalidArgument, d)
	}
	return msOf(d), nil
}

// blockLength returns the length in milliseconds of a block at level (from
// 1) under b: b.For × b.Factor^(level-1), capped at b.Max (or
// [ratelimit.MaxInterval]).
func blockLength(b ratelimit.Block, level int64) int64 {
	length, limit := msOf(b.For), msOf(ratelimit.MaxInterval)
	if b.Max > 0 {
		limit = msOf(b.Max)
	}
	for ; level > 1 && b.Factor > 1 && length < limit; level-- {
		if length > limit/b.Factor {
			return limit
		}
		length *= b.Factor
	}
	return min(length, limit)
}

// msOf returns d in whole milliseconds.
func msOf(d time.Duration) int64 { return int64(d / time.Millisecond) }

// blocked turns d into the denial of a key blocked for left milliseconds
// more: nothing remains, and neither a retry nor the reset comes sooner than
// the block's end.
func blocked(d *ratelimit.Decision, left int64) {
	r := millis(left)
	d.Allowed, d.Blocked, d.Remaining = false, true, 0
	if d.RetryAfter != ratelimit.Never {
		d.RetryAfter = max(d.RetryAfter, r)
	}
	d.ResetAfter = max(d.ResetAfter, r)
}
