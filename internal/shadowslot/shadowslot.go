// Package shadowslot lets the HTTP engine see the decision of a limiter's
// shadow: the engine puts a *ratelimit.Decision in the request's context
// under Key, and a limiter with a shadow writes the shadow's decision there.
package shadowslot

// Key is the context key of the slot.
type Key struct{}
