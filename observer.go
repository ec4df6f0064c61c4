package ratelimit

import (
	"context"
	"strconv"
	"time"
)

// An Observer is told of the decisions of the limiters it is given to with
// [WithObserver]: metrics, logs, traces. (A fallback store given an Observer
// also tells it of its switches: see [Fallback].) Observe is called once per
// [Limiter.AllowN] and once per [Limiter.WaitN] (for its outcome, not for
// each try), on the calling goroutine, after the store answered and before
// the call returns; [Limiter.Check] is not observed, nor a call refused for
// bad input or after Close. Observe must be safe for concurrent use and
// should be quick: the caller waits for it. The Event is a value: keeping it
// costs nothing to the limiter.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// Event is one decision as an [Observer] sees it.
type Event struct {
	// Limiter is the limiter's name ([WithName]), "" when it has none.
	Limiter string
	// Key is the key the caller passed, without the limiter's prefix, or ""
	// unless the limiter was built [WithObservedKeys]: keys are as many as
	// clients, so that metrics must never see them.
	Key string
	// Weight is the number of units asked for.
	Weight int64
	// Decision is the store's decision, as enforced (Policy Enforce), as it
	// would have been enforced (DryRun, Shadow), or zero when Err is set.
	Decision Decision
	// Policy says what acted on the decision.
	Policy Policy
	// Latency is the time the store took to answer (the last try's, for
	// WaitN). It is 0 for a [Local] store, whose calls are not timed.
	Latency time.Duration
	// Err is the failure of the store or of the [WithRatesFor] function, nil
	// when the store decided.
	Err error
}

// Policy is what acted on an observed decision.
type Policy uint8

const (
	// Enforce: the caller got the decision or the error.
	Enforce Policy = iota
	// DryRun: the limiter was built [WithDryRun]; the caller was admitted
	// whatever the decision. (A failure it admits through is FailOpen.)
	DryRun
	// Shadow: the decision is a shadow limiter's ([WithShadow]); it changed
	// nothing for the caller.
	Shadow
	// FailOpen: the store failed and the caller was admitted
	// ([WithFailOpen]).
	FailOpen
	// Fallback: an Event of a fallback store (package store/fallback), not
	// a decision. Err non-nil: the store switched to its local limits
	// because its primary store failed with Err; Err nil: it returned to
	// the primary. Decision is zero, Key "", Weight 0, Latency 0, and
	// Limiter is the fallback store's name. Each switch is reported once.
	Fallback
)

var policyNames = [...]string{Enforce: "enforce", DryRun: "dry_run", Shadow: "shadow", FailOpen: "fail_open", Fallback: "fallback"}

// String returns the policy's name in snake case, fit for a metric label:
// "enforce", "dry_run", "shadow", "fail_open" or "fallback".
func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return "policy(" + strconv.Itoa(int(p)) + ")"
}
