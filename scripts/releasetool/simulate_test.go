package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// simVersion is the version TestUserGetsReleasedModules releases: a
// prerelease that no other run takes, so that what a run killed before its
// cleanup left in the module cache cannot stand in for what this run makes.
var simVersion = "v0.0.1-sim." + strconv.FormatInt(time.Now().UnixNano(), 10)

var noRewrite = flag.Bool("norewrite", false, "TestUserGetsReleasedModules tags the clone's HEAD without the release's rewrite of the go.mod files: the test must then fail")

// TestUserGetsReleasedModules simulates a user of a release: it releases
// the repository's HEAD in a clone, serves the tagged modules from a module
// proxy on the file system, and, in a new module with no replace directive,
// go-gets a store and an adapter at the release's version, builds and runs
// a program that uses them; and go-gets every published module and checks
// that each is required at that version. It also checks that the
// release's go.mod files still serve development: the workspace's packages
// load, and each module on its own is tidy with its go.sum unchanged.
func TestUserGetsReleasedModules(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the simulation of a user of a release builds modules from a module proxy on the file system")
	}
	clone := cloneHead(t)
	tmp := t.TempDir()
	if *noRewrite {
		mods, err := readWorkspace(clone)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mods {
			if m.Published {
				mustGit(t, clone, "tag", m.Tag(simVersion))
			}
		}
	} else {
		var out bytes.Buffer
		if err := run([]string{"-C", clone, simVersion}, &out); err != nil {
			t.Fatalf("release: %v\n%s", err, out.String())
		}
	}
	mods, err := readWorkspace(clone)
	if err != nil {
		t.Fatal(err)
	}
	proxy := filepath.Join(tmp, "proxy")
	writeProxy(t, proxy, clone, mods, simVersion)
	env := userEnv(t, proxy)

	t.Run("development", func(t *testing.T) {
		// The release changes requirements only, not code: the packages
		// and their tests still load in the workspace, and each module on
		// its own is tidy with its go.sum as it was: a requirement that a
		// replace directive supplies from a directory needs no go.sum line.
		goCmd(t, append(os.Environ(), "GOWORK="), clone, "list", "-deps", "-test", "github.com/gorate/ratelimit/...")
		own := append(os.Environ(), "GOWORK=off")
		for _, m := range mods {
			goCmd(t, own, filepath.Join(clone, filepath.FromSlash(m.Dir)), "mod", "tidy", "-diff")
		}
	})

	t.Run("program", func(t *testing.T) {
		dir := newUserModule(t, env)
		writeFile(t, filepath.Join(dir, "main.go"), userProgram)
		goCmd(t, env, dir, "get",
			"github.com/gorate/ratelimit/store/sqlite@"+simVersion,
			"github.com/gorate/ratelimit/adapters/echo@"+simVersion,
			"github.com/labstack/echo/v4")
		goCmd(t, env, dir, "build", "-o", "prog", ".")
		checkGorateModules(t, env, dir, nil)
		cmd := exec.CommandContext(t.Context(), filepath.Join(dir, "prog"), t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("program: %v\n%s", err, out)
		}
		if got, want := strings.TrimSpace(string(out)), "200 200 429"; got != want {
			t.Errorf("program printed %q, want %q (3 requests under 2 a minute)", got, want)
		}
	})

	t.Run("every module", func(t *testing.T) {
		dir := newUserModule(t, env)
		var want []string
		for _, m := range mods {
			if m.Published {
				want = append(want, m.Path)
			}
		}
		args := []string{"get"}
		for _, p := range want {
			args = append(args, p+"@"+simVersion)
		}
		goCmd(t, env, dir, args...)
		checkGorateModules(t, env, dir, want)
	})
}

// checkGorateModules checks that every module of the user's module at dir
// whose path is this repository's is at simVersion, and that the modules in
// want are all there.
func checkGorateModules(t *testing.T, env []string, dir string, want []string) {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(goCmd(t, env, dir, "list", "-m", "all")), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || (f[0] != "github.com/gorate/ratelimit" && !strings.HasPrefix(f[0], "github.com/gorate/ratelimit/")) {
			continue
		}
		got[f[0]] = f[1]
		if f[1] != simVersion || len(f) > 2 {
			t.Errorf("go list -m all: %q, want %s at %s", line, f[0], simVersion)
		}
	}
	if _, ok := got["github.com/gorate/ratelimit"]; !ok {
		t.Errorf("go list -m all has no github.com/gorate/ratelimit")
	}
	for _, p := range want {
		if _, ok := got[p]; !ok {
			t.Errorf("go list -m all has no %s", p)
		}
	}
}

// newUserModule makes a new module example.com/user in a temporary
// directory and returns the directory.
func newUserModule(t *testing.T, env []string) string {
	t.Helper()
	dir := t.TempDir()
	goCmd(t, env, dir, "mod", "init", "example.com/user")
	return dir
}

// userEnv returns the environment of the go commands a user runs: the
// modules of this repository from the proxy at proxyDir, the others from
// this machine's module cache or, failing that, the proxies of GOPROXY
// but not direct from their repositories, so that no query for a module
// path of this repository goes to the network's version control. The
// module cache is this machine's, so that the packages of the third-party
// modules compiled before (by go vet or go build in the workspace) are in
// the build cache; the cleanup it registers removes from the cache what
// this run put there, the modules of this repository at simVersion (and
// at the zero pseudo-version), which -modcacherw leaves writable. No checksum database: the release is not in
// it. No workspace, no go.env file, no toolchain download.
func userEnv(t *testing.T, proxyDir string) []string {
	t.Helper()
	modCache := strings.TrimSpace(goCmd(t, os.Environ(), ".", "env", "GOMODCACHE"))
	if modCache == "" {
		t.Fatal("go env GOMODCACHE is empty")
	}
	t.Cleanup(func() {
		// The zero pseudo-version is there when a requirement names it,
		// as with -norewrite: the go command leaves a lock file of its
		// failed download.
		for _, v := range []string{simVersion, zeroPseudo} {
			if err := removeVersion(modCache, "github.com/gorate/ratelimit", v); err != nil {
				t.Error(err)
			}
		}
	})
	proxies := []string{"file://" + filepath.ToSlash(proxyDir)}
	for _, p := range strings.FieldsFunc(strings.TrimSpace(goCmd(t, os.Environ(), ".", "env", "GOPROXY")), func(r rune) bool { return r == ',' || r == '|' }) {
		if p != "direct" && p != "off" {
			proxies = append(proxies, p)
		}
	}
	return append(os.Environ(),
		"GOPROXY="+strings.Join(proxies, ","),
		"GOMODCACHE="+modCache,
		"GOFLAGS=-modcacherw",
		"GOSUMDB=off",
		"GONOSUMDB=", "GONOSUMCHECK=", "GOPRIVATE=", "GONOPROXY=", "GOINSECURE=",
		"GOWORK=off",
		"GOENV=off",
		"GO111MODULE=on",
		"GOTOOLCHAIN=local",
	)
}

// goCmd runs the go command with args in dir under env and returns its
// standard output; a failure fails the test with its output.
func goCmd(t *testing.T, env []string, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// userProgram is the user's program: a limit of 2 requests a minute in a
// SQLite file under the directory its argument names, on an echo server;
// it sends 3 requests and prints their status codes. (SQLite and echo need
// no server and run anywhere; gin instead of echo makes a build with an
// empty build cache take some 30 s more on 2 cores.)
const userProgram = `package main

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gorate/ratelimit"
	echolimit "github.com/gorate/ratelimit/adapters/echo"
	sqlitestore "github.com/gorate/ratelimit/store/sqlite"
)

func main() {
	store, err := sqlitestore.Open(filepath.Join(os.Args[1], "limits.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	limiter, err := ratelimit.New(store, ratelimit.PerMinute(2))
	if err != nil {
		log.Fatal(err)
	}

	e := echo.New()
	e.Use(echolimit.Middleware(limiter))
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	var codes []string
	for range 3 {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		codes = append(codes, strconv.Itoa(w.Code))
	}
	fmt.Println(strings.Join(codes, " "))
}
`
