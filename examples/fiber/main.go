// Command fiber serves a fiber app in prefork mode — one process per CPU,
// all accepting on one port — behind one limit per client IP that every
// process enforces together, through a multiprocess store file they share.
//
//	go run ./fiber                 # prefork, on 127.0.0.1:8080
//	go run ./fiber -prefork=false  # one process
//
// Then, in another terminal, the 6th and 7th of 7 quick requests are
// denied, whichever processes answer them (each body names its pid):
//
//	for i in $(seq 7); do curl -si localhost:8080/ | head -1; done
//
// Stop it with Ctrl-C. A process that dies at any moment leaves the store
// file usable by the others.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/gofiber/fiber/v2"

	fiberlimit "github.com/gorate/ratelimit/adapters/fiber"
	ratelimit "github.com/gorate/ratelimit/core"
	mpstore "github.com/gorate/ratelimit/store/multiprocess"
)

// The limit of each client IP: 5 requests per 10 seconds.
var rates = []ratelimit.Rate{ratelimit.Per(5, 10*time.Second)}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "the address to serve on")
	prefork := flag.Bool("prefork", true, "serve from one process per CPU (fiber's Prefork)")
	flag.Parse()
	if err := run(*addr, *prefork); err != nil {
		log.Fatal(err)
	}
}

func run(addr string, prefork bool) error {
	// With Prefork, this program runs again as each child process: the
	// first run (the parent) starts a fresh store file, and every child
	// opens that same file.
	path := filepath.Join(os.TempDir(), "ratelimit-fiber-example")
	if !fiber.IsChild() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	limiter, err := mpstore.NewLimiter(path, rates)
	if err != nil {
		return err
	}
	defer limiter.Close()

	app := fiber.New(fiber.Config{Prefork: prefork, DisableStartupMessage: true})
	app.Use(fiberlimit.Middleware(limiter))
	app.Get("/", func(c *fiber.Ctx) error {
		return c.SendString(fmt.Sprintf("hello from pid %d\n", os.Getpid()))
	})

	if !fiber.IsChild() {
		fmt.Printf("serving on http://%s (prefork %v), %s per client IP, shared through %s\n", addr, prefork, ratelimit.Rates(rates), path)
		fmt.Println("to see a 429:")
		fmt.Printf("\tfor i in $(seq 7); do curl -si %s/ | head -1; done\n", addr)
	}
	return app.Listen(addr)
}
