package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// mainEnv makes the test binary run the program instead of the tests: the
// tests start it as the client processes the comment describes.
const mainEnv = "RATELIMIT_OUTBOUND_EXAMPLE_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// arrival is a request the server saw.
type arrival struct {
	at     time.Time
	status int
}

// TestTwoClients holds the comment's promise with real processes: two
// clients sharing a store (a SQLite file, or the Redis server) send nothing
// to the server from just after its first 429 until its delay has passed
// (2 s of Retry-After; 3 s of a RateLimit field's t when it says r=0), then
// resume. Against a lenient server, which answers the requests during a
// hold as if there were none, a client that was not told is held back by
// the store alone.
func TestTwoClients(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes for seconds")
	}
	for _, store := range []string{"sqlite", "redis"} {
		for _, rateLimit := range []bool{false, true} {
			for _, lenient := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/ratelimit=%v/lenient=%v", store, rateLimit, lenient), func(t *testing.T) {
					t.Parallel()
					var args []string
					if store == "redis" {
						args = []string{"-redis", redisURL(t), "-prefix", fmt.Sprintf("outbound-test:%d:%s:", time.Now().UnixNano(), t.Name())}
					} else {
						args = []string{"-db", filepath.Join(t.TempDir(), "shared.db")}
					}
					twoClients(t, &server{rateLimit: rateLimit, lenient: lenient}, args)
				})
			}
		}
	}
}

// twoClients runs s and two clients with args, and checks the requests s
// saw.
func twoClients(t *testing.T, s *server, args []string) {
	var (
		mu   sync.Mutex
		seen []arrival
	)
	rateLimit := s.rateLimit
	s.seen = func(at time.Time, status int) {
		mu.Lock()
		seen = append(seen, arrival{at, status})
		mu.Unlock()
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	delay := hold
	if rateLimit {
		delay = holdRateLimit
	}
	// Long enough to see the clients resume after the delay.
	args = append(args, "-url", srv.URL+"/", "-for", (delay + 1500*time.Millisecond).String())
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i := range 2 {
		cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
		cmd.Env = append(os.Environ(), mainEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
		wg.Go(func() {
			out, err := cmd.CombinedOutput()
			outs[i], errs[i] = string(out), err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("client %d: %v\n%s", i, err, outs[i])
		}
	}
	// Either client may be the one refused each time: together they print
	// what the server answered.
	if all := outs[0] + outs[1]; !strings.Contains(all, " 200\n") || !strings.Contains(all, " 429\n") && !rateLimit {
		t.Fatalf("the clients printed no 200, or no 429:\n%s", all)
	}

	mu.Lock()
	defer mu.Unlock()
	// The delay starts when the server asks for it: its first 429, or with
	// the RateLimit field the 5th response, which says r=0.
	first := -1
	for i, a := range seen {
		if a.status == 429 && !rateLimit || i == limit-1 && rateLimit {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatalf("the server never asked for a delay: %v", seen)
	}
	t0 := seen[first].at
	// A request each client had sent before the other's hold reached the
	// store may still arrive just after; none may arrive later, until
	// the delay has passed.
	const inFlight = 200 * time.Millisecond
	resumed := false
	for _, a := range seen[first+1:] {
		switch since := a.at.Sub(t0); {
		case since > inFlight && since < delay:
			t.Fatalf("a request arrived %v after the server asked for %v: %v", since, delay, seen)
		case since >= delay && since < delay+time.Second:
			resumed = true
		}
	}
	if !resumed {
		t.Fatalf("no request arrived within a second of the end of the %v delay: %v", delay, seen)
	}
}

// redisURL returns REDIS_URL (default redis://127.0.0.1:6379/0) once the
// server answers, and otherwise skips t, or fails it when the servers are
// required (CI=true or RATELIMIT_REQUIRE_SERVERS=1).
func redisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL %q: %v", url, err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("RATELIMIT_REQUIRE_SERVERS") == "1" {
			t.Fatalf("Redis at %s: %v", url, err)
		}
		t.Skipf("no Redis at %s: %v (set CI=true or RATELIMIT_REQUIRE_SERVERS=1 to make this a failure)", url, err)
	}
	return url
}
