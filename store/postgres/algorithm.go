package pgstore

import (
	"fmt"

	ratelimit "github.com/gorate/ratelimit/internal/oldcore"
)

// algorithm is a Store's admission algorithm; the constant-state ones are
// numbered as the state table's alg column and the decision function's
// p_alg number them.
type algorithm int16

const (
	algLog     algorithm = 0 // ratelimit.SlidingWindowLog, in the log table
	algGCRA    algorithm = 1 // ratelimit.GCRA: TAT, Rem per rate
	algCounter algorithm = 2 // ratelimit.SlidingWindowCounter: Start, Prev, Cur per rate
)

// parseAlgorithm maps a ratelimit.Algorithm onto the store's, checking that
// rates suit it.
func parseAlgorithm(a ratelimit.Algorithm, rates ratelimit.Rates) (algorithm, error) {
	if err := a.Validate(rates); err != nil {
		return algLog, fmt.Errorf("pgstore: %w", err)
	}
	return algorithm(a.Ordinal()), nil
}

// countState returns what the core's Count reports for a state row read at
// now; a row of another algorithm or rate list counts nothing, as the
// decision function treats it as empty.
func countState(alg algorithm, rates ratelimit.Rates, now int64, rowAlg *int16, state []int64) int64 {
	if rowAlg == nil || algorithm(*rowAlg) != alg {
		return 0
	}
	n := len(rates)
	if len(state) != int(alg.words())*n {
		return 0
	}
	k := ratelimit.NewKeyState(alg.core(), n)
	for i := range k.GCRA {
		k.GCRA[i] = ratelimit.GCRAState{TAT: state[2*i], Rem: state[2*i+1]}
	}
	for i := range k.Counter {
		k.Counter[i] = ratelimit.CounterState{Start: state[3*i], Prev: state[3*i+1], Cur: state[3*i+2]}
	}
	return k.Count(rates, now)
}

// words returns how many numbers of state a constant-state algorithm keeps
// per rate.
func (a algorithm) words() int16 {
	if a == algGCRA {
		return 2
	}
	return 3
}

// core returns the core's name of a.
func (a algorithm) core() ratelimit.Algorithm {
	switch a {
	case algGCRA:
		return ratelimit.AlgorithmGCRA
	case algCounter:
		return ratelimit.AlgorithmSlidingWindowCounter
	}
	return ratelimit.AlgorithmSlidingWindowLog
}

// Algorithm returns the Store's admission algorithm (see [WithAlgorithm]).
func (s *Store) Algorithm() ratelimit.Algorithm { return s.alg.core() }
