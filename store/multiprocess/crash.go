package mpstore

// Points between the preparing stores of a change and the store that
// commits it, where a test plays a process killed in the middle.
const (
	pointAppend  = "append"  // entry written, tail not yet moved
	pointClaim   = "claim"   // slot written, index word not yet published
	pointState   = "state"   // constant state's scratch copy written, selector not yet flipped
	pointJournal = "journal" // journal's pairs written, count not yet stored
	pointReplay  = "replay"  // journal committed, its first word written, the others not yet
)

// crashHook, set only by tests (before any store is used), runs at each
// point; a test makes it block forever (a child process then killed with
// SIGKILL) or panic (unwinding as a killed process would stop).
var crashHook func(point string)

func crashPoint(point string) {
	if crashHook != nil {
		crashHook(point)
	}
}
