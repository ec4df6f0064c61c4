// Command outbound is an HTTP client that backs off when the server asks it
// to, together with every other process that shares its store: its
// requests go through httplimit.Transport over a limiter that keeps blocks
// (ratelimit.Block{}), so a 429 with Retry-After, or a RateLimit field with
// no units left, seen by any of the processes holds back all of them.
//
// Start the server it comes with, then two clients at once, from the
// repository root:
//
//	go run ./examples/outbound -serve 127.0.0.1:8429 &
//	go run ./examples/outbound -url http://127.0.0.1:8429/ & go run ./examples/outbound -url http://127.0.0.1:8429/
//
// The server answers 5 requests, then 429 with Retry-After: 2 for two
// seconds, and again; each client prints the time and status of each of
// its requests for 5 seconds (-for): both send nothing for the two
// seconds after the first 429, then resume. With -ratelimit, the server
// instead says "x";r=0;t=3 in the RateLimit field of its 5th response, and
// both clients wait three seconds. The clients share a SQLite file in the
// temporary directory (-db), or the Redis server at -redis.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gorate/ratelimit"
	httplimit "github.com/gorate/ratelimit/adapters/nethttp"
	redisstore "github.com/gorate/ratelimit/store/redis"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
	"github.com/redis/go-redis/v9"
)

func main() {
	serve := flag.String("serve", "", "run the server on `address` instead of a client")
	rateLimit := flag.Bool("ratelimit", false, "server: ask for delays with the RateLimit field, not 429s")
	url := flag.String("url", "http://127.0.0.1:8429/", "client: the server's `URL`")
	db := flag.String("db", filepath.Join(os.TempDir(), "gorate-example-outbound.db"), "client: the SQLite `file` the clients share")
	redisURL := flag.String("redis", "", "client: share this Redis server (`URL`) instead of the SQLite file")
	prefix := flag.String("prefix", "outbound:", "client: the `prefix` of the limiter's keys in the store")
	run := flag.Duration("for", 5*time.Second, "client: how long to send requests")
	flag.Parse()
	var err error
	if *serve != "" {
		err = http.ListenAndServe(*serve, &server{rateLimit: *rateLimit, seen: func(at time.Time, status int) {
			fmt.Printf("%s %d\n", at.Format("15:04:05.000"), status)
		}})
	} else {
		err = client(context.Background(), *url, *db, *redisURL, *prefix, *run)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "outbound example:", err)
		os.Exit(1)
	}
}

// client sends GET requests to url one after another for the duration
// run, through a Transport over the shared store, and prints the time and
// status of each.
func client(ctx context.Context, url, db, redisURL, prefix string, run time.Duration) error {
	var store ratelimit.Store
	if redisURL != "" {
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			return fmt.Errorf("bad Redis URL %q: %w", redisURL, err)
		}
		rc := redis.NewClient(opt)
		defer rc.Close()
		s, err := redisstore.New(rc)
		if err != nil {
			return err
		}
		defer s.Close()
		store = s
	} else {
		s, err := sqlitestore.Open(db)
		if err != nil {
			return err
		}
		defer s.Close()
		store = s
	}
	// Our own limit, 20 requests a second for all the processes together,
	// and the blocks that hold back the server's host when it asks.
	l, err := ratelimit.New(store, ratelimit.PerSecond(20), ratelimit.Block{}, ratelimit.WithPrefix(prefix))
	if err != nil {
		return err
	}
	defer l.Close()
	hc := &http.Client{Transport: httplimit.Transport(nil, l, nil)}

	ctx, cancel := context.WithTimeout(ctx, run)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if ctx.Err() != nil || errors.Is(err, ratelimit.ErrWaitTooLong) {
			return nil // the time is up, or will be before the hold ends
		}
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Printf("%s %d\n", time.Now().Format("15:04:05.000"), resp.StatusCode)
	}
}

// The server's limit: limit requests, then a hold of hold.
const (
	limit = 5
	hold  = 2 * time.Second
	// holdRateLimit is the hold the RateLimit field asks for.
	holdRateLimit = 3 * time.Second
)

// server is a handler that answers like a rate-limited API: limit
// requests, then 429 with Retry-After for hold, then again. With
// rateLimit, every response carries a RateLimit field instead, the
// limit-th with r=0 and t=3, and requests during those 3 seconds are
// answered 429 with the same field. seen, if not nil, is called with the
// arrival time and status of each request. A lenient server answers the
// requests during a hold as if there were none (200, no field), so that a
// client that does not hold back is seen.
type server struct {
	rateLimit, lenient bool
	seen               func(time.Time, int)

	mu     sync.Mutex
	served int
	until  time.Time // the end of the hold, while requests are refused
}

func (s *server) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	status := http.StatusOK
	left := s.until.Sub(now)
	switch {
	case left > 0 && s.lenient:
		if s.seen != nil {
			s.seen(now, status)
		}
		w.WriteHeader(status) // no field: as if there were no hold
		return
	case left > 0:
		status = http.StatusTooManyRequests
	case s.served == limit-1 && s.rateLimit:
		s.served, s.until, left = 0, now.Add(holdRateLimit), holdRateLimit
	case s.served == limit && !s.rateLimit:
		s.served, s.until, left = 0, now.Add(hold), hold
		status = http.StatusTooManyRequests
	default:
		s.served++
		left = 0
	}
	secs := strconv.Itoa(int((max(left, 0) + time.Second - 1) / time.Second))
	if s.rateLimit {
		r := limit - s.served
		if left > 0 {
			r = 0
		}
		w.Header().Set("RateLimit", `"x";r=`+strconv.Itoa(r)+`;t=`+secs)
	} else if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", secs)
	}
	if s.seen != nil {
		s.seen(now, status)
	}
	w.WriteHeader(status)
}
