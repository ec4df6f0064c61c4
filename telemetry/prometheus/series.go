package promlimit

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gorate/ratelimit"
)

const (
	// maxLimiters is the number of distinct limiter names that get a label
	// of their own; later names are counted as other.
	maxLimiters = 64
	// maxRates is the number of distinct deciding rates per limiter label
	// that get a label of their own; later rates are counted as other.
	maxRates = 32
	// other is the label value of the names and rates beyond the caps.
	other = "other"
	// policies is the number of policies the root package defines; the
	// children of a policy beyond them are looked up on every event.
	policies = int(ratelimit.FailOpen) + 1
)

// The caches below keep the label children of the series seen so far, so
// that an event of a known series is counted with a few loads and no
// allocation: each holds its keys in an immutable table (a slice, and a map
// for names) behind an atomic.Pointer, replaced whole (under a mutex) when
// a key is added, and each child in an atomic.Pointer set when its first
// event comes.
// Creating a child twice is harmless: a vector returns the same child for the
// same label values.

// limiterCache holds the series of each limiter name: at most maxLimiters
// names, plus other.
type limiterCache struct {
	names atomic.Pointer[nameTable]
	other *limiterSeries
	mu    sync.Mutex // serialises the replacement of names
}

// scanned is the number of names a nameTable finds by a linear scan, which
// beats a map's hash for a handful of short names.
const scanned = 8

// nameTable holds the limiter names seen, in the order first seen: the first
// few in a slice, scanned, and all of them in a map.
type nameTable struct {
	first []*limiterSeries // the first scanned names
	all   map[string]*limiterSeries
}

func (c *limiterCache) init(o *Observer) {
	c.other = newLimiterSeries(o, other)
	c.names.Store(&nameTable{all: map[string]*limiterSeries{}})
}

// get returns the series of the limiter named name.
func (c *limiterCache) get(name string) *limiterSeries {
	t := c.names.Load()
	for _, l := range t.first {
		if l.name == name {
			return l
		}
	}
	if len(t.all) > scanned {
		if l, ok := t.all[name]; ok {
			return l
		}
	}
	return c.add(name)
}

// add returns the series of a name get did not find, made and kept if the
// cap allows, else other's.
func (c *limiterCache) add(name string) *limiterSeries {
	if name == other || len(c.names.Load().all) >= maxLimiters {
		return c.other
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.names.Load()
	if l, ok := t.all[name]; ok {
		return l
	}
	if len(t.all) >= maxLimiters {
		return c.other
	}
	l := newLimiterSeries(c.other.obs, name)
	next := &nameTable{first: t.first, all: make(map[string]*limiterSeries, len(t.all)+1)}
	if len(t.first) < scanned {
		next.first = append(t.first[:len(t.first):len(t.first)], l)
	}
	maps.Copy(next.all, t.all)
	next.all[name] = l
	c.names.Store(next)
	return l
}

// limiterSeries holds the children of one limiter label.
type limiterSeries struct {
	obs      *Observer
	name     string
	rates    rateCache
	errors   [policies]atomic.Pointer[prometheus.Counter]
	failOpen atomic.Pointer[prometheus.Counter]
	latency  atomic.Pointer[prometheus.Observer]
}

func newLimiterSeries(o *Observer, name string) *limiterSeries {
	l := &limiterSeries{obs: o, name: name}
	l.rates.init(l)
	return l
}

// storeError returns the store error counter of policy p.
func (l *limiterSeries) storeError(p ratelimit.Policy) prometheus.Counter {
	if int(p) < policies {
		if c := l.errors[p].Load(); c != nil {
			return *c
		}
	}
	return l.newStoreError(p)
}

func (l *limiterSeries) newStoreError(p ratelimit.Policy) prometheus.Counter {
	c := l.obs.storeErrors.WithLabelValues(l.name, p.String())
	if int(p) < policies {
		l.errors[p].Store(&c)
	}
	return c
}

// failOpenPass returns the fail-open pass counter.
func (l *limiterSeries) failOpenPass() prometheus.Counter {
	if c := l.failOpen.Load(); c != nil {
		return *c
	}
	c := l.obs.failOpenPasses.WithLabelValues(l.name)
	l.failOpen.Store(&c)
	return c
}

// duration returns the store duration histogram.
func (l *limiterSeries) duration() prometheus.Observer {
	if h := l.latency.Load(); h != nil {
		return *h
	}
	h := l.obs.duration.WithLabelValues(l.name)
	l.latency.Store(&h)
	return h
}

// rateCache holds the series of each deciding rate of a limiter label: at
// most maxRates rates, plus other. It keeps them in a slice, in the order
// first seen: a limiter decides by a handful of rates, which a linear scan
// finds sooner than a map's hash.
type rateCache struct {
	rates atomic.Pointer[[]*rateSeries]
	other *rateSeries
	mu    sync.Mutex // serialises the replacement of rates
}

func (c *rateCache) init(l *limiterSeries) {
	c.other = &rateSeries{limiter: l, label: other}
	c.rates.Store(&[]*rateSeries{})
}

// get returns the series of rate r.
func (c *rateCache) get(r ratelimit.Rate) *rateSeries {
	for _, s := range *c.rates.Load() {
		if s.rate == r {
			return s
		}
	}
	return c.add(r)
}

// add returns the series of a rate get did not find, made and kept if the
// cap allows, else other's.
func (c *rateCache) add(r ratelimit.Rate) *rateSeries {
	if len(*c.rates.Load()) >= maxRates {
		return c.other
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rates := *c.rates.Load()
	for _, s := range rates {
		if s.rate == r {
			return s
		}
	}
	if len(rates) >= maxRates {
		return c.other
	}
	s := &rateSeries{limiter: c.other.limiter, rate: r, label: r.String()}
	next := append(rates[:len(rates):len(rates)], s)
	c.rates.Store(&next)
	return s
}

// rateSeries holds the decision counters of one rate label of one limiter
// label, by policy and outcome (denied 0, allowed 1).
type rateSeries struct {
	limiter   *limiterSeries
	rate      ratelimit.Rate // zero for other
	label     string
	decisions [policies][2]atomic.Pointer[prometheus.Counter]
}

// decision returns the counter of the decisions of policy p and outcome
// allowed.
func (s *rateSeries) decision(p ratelimit.Policy, allowed bool) prometheus.Counter {
	if int(p) < policies {
		if c := s.decisions[p][outcome(allowed)].Load(); c != nil {
			return *c
		}
	}
	return s.newDecision(p, allowed)
}

func (s *rateSeries) newDecision(p ratelimit.Policy, allowed bool) prometheus.Counter {
	label := "denied"
	if allowed {
		label = "allowed"
	}
	l := s.limiter
	c := l.obs.decisions.WithLabelValues(l.name, p.String(), label, s.label)
	if int(p) < policies {
		s.decisions[p][outcome(allowed)].Store(&c)
	}
	return c
}

func outcome(allowed bool) int {
	if allowed {
		return 1
	}
	return 0
}
