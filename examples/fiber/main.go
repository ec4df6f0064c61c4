// Command fiber serves a fiber app in prefork mode — one process per CPU,
// all accepting on one port — behind one limit per client IP that every
// process enforces together, through a multiprocess store file they share.
// From the repository's root:
//
//	go run ./examples/fiber                 # prefork, on 127.0.0.1:8080
//	go run ./examples/fiber -prefork=false  # one process
//
// Then, in another terminal, the 6th and 7th of 7 quick requests are
// denied, whichever processes answer them: each prints its body (a 200's
// names the pid that answered) and its status.
//
//	for i in $(seq 7); do curl -s -w ' %{http_code}\n' localhost:8080/; done
//
// POST /login allows 2 a minute on top of that, through a second limiter on
// the same store file, so the 3rd of 3 is denied whichever processes answer.
// GET /search allows 1 a second through fiberlimit.LimitByIP, the
// one-expression form, which counts in the memory of the process that
// answers: one a second in one process (-prefork=false), but under prefork
// each process counts alone, and a client may get one a second from each.
// Once those 10 seconds are up:
//
//	for i in $(seq 3); do curl -s -w ' %{http_code}\n' -X POST localhost:8080/login; done
//	for i in 1 2; do curl -s -w ' %{http_code}\n' localhost:8080/search; done
//
// Stop it with Ctrl-C (or SIGTERM to the first process): every process
// stops. Each run keeps its store file in a directory of its own, made at
// start-up and removed at exit, so two runs never share or remove each
// other's limits. Should a child process die, fiber stops the others and
// the program exits with status 1, printing how the child ended
// ("signal: killed").
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gorate/ratelimit"
	fiberlimit "github.com/gorate/ratelimit/adapters/fiber"
	mpstore "github.com/gorate/ratelimit/store/multiprocess"
)

// The limit of each client IP: 5 requests per 10 seconds.
var rates = ratelimit.Rates{{Limit: 5, Interval: 10 * time.Second}}

// storeEnv names the environment variable through which the first process
// hands the store file's path to the prefork children: fiber starts them
// with its environment.
const storeEnv = "RATELIMIT_FIBER_EXAMPLE_STORE"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "the address to serve on")
	prefork := flag.Bool("prefork", true, "serve from one process per CPU (fiber's Prefork)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *prefork); err != nil {
		fmt.Fprintln(os.Stderr, "fiber example:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string, prefork bool) error {
	// With Prefork, this program runs again as each child process: the
	// first run (the parent) makes a fresh directory for the store file,
	// and every child opens the file the parent named.
	path := os.Getenv(storeEnv)
	if !fiber.IsChild() {
		dir, err := os.MkdirTemp("", "ratelimit-fiber-example-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "limits")
		if err := os.Setenv(storeEnv, path); err != nil {
			return err
		}
	}
	store, err := mpstore.Open(path)
	if err != nil {
		return err
	}
	defer store.Close() // a limiter never closes its store
	limiter, err := ratelimit.New(store, rates)
	if err != nil {
		return err
	}
	defer limiter.Close()
	// 2 logins a minute per client IP, in the same file: the prefix keeps
	// the two limiters' keys apart.
	login, err := ratelimit.New(store, ratelimit.PerMinute(2), ratelimit.WithPrefix("login:"))
	if err != nil {
		return err
	}
	defer login.Close()

	app := fiber.New(fiber.Config{Prefork: prefork, DisableStartupMessage: true})
	var mu sync.Mutex
	var children []int
	app.Hooks().OnFork(func(pid int) error {
		mu.Lock()
		defer mu.Unlock()
		children = append(children, pid)
		return nil
	})
	app.Use(fiberlimit.Middleware(limiter))
	app.Get("/", func(c *fiber.Ctx) error {
		return c.SendString(fmt.Sprintf("hello from pid %d\n", os.Getpid()))
	})
	app.Post("/login", fiberlimit.Middleware(login), func(c *fiber.Ctx) error {
		return c.SendString(fmt.Sprintf("welcome, from pid %d\n", os.Getpid()))
	})
	app.Get("/search", fiberlimit.LimitByIP(ratelimit.PerSecond(1)), func(c *fiber.Ctx) error {
		return c.SendString(fmt.Sprintf("no results, from pid %d\n", os.Getpid()))
	})

	if !fiber.IsChild() {
		fmt.Printf("serving on http://%s (prefork %v), %s per client IP, shared through %s\n", addr, prefork, rates, path)
		fmt.Println("to see a 429:")
		fmt.Printf("\tfor i in $(seq 7); do curl -s -w ' %%{http_code}\\n' %s/; done\n", addr)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listen(addr) }()
	select {
	case err := <-served:
		return err // with Prefork, the parent returns when a child exits
	case <-ctx.Done():
	}
	if prefork && !fiber.IsChild() {
		// The parent serves nothing itself: it asks each child to stop, as
		// a Ctrl-C does, and returns when the first has (fiber kills the
		// others then). A child still starting up dies of the signal
		// instead: a stop it was asked for, not a failure.
		mu.Lock()
		for _, pid := range children {
			if p, err := os.FindProcess(pid); err == nil {
				p.Signal(syscall.SIGTERM)
			}
		}
		mu.Unlock()
		<-served
		return nil
	}
	if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
		return err
	}
	return <-served
}
