package pgstore_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// pgServer is a private PostgreSQL cluster in a directory of its own, on a
// loopback port of its own, with trust authentication: a server a test may
// kill. It never touches the shared server.
type pgServer struct {
	bin  string // the directory of initdb and pg_ctl
	dir  string // data directory, also the socket directory
	port int
	as   []string // the command prefix that runs as the postgres user
}

// privatePostgres creates and starts a private cluster, stopped and removed
// at the test's end. Without PostgreSQL's server binaries it skips the test
// (fails it when servers are required). As root, the cluster runs as the
// postgres user, which initdb and the server require.
func privatePostgres(t *testing.T) *pgServer {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a server")
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		if p, err := exec.LookPath("pg_ctl"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		msg := "PostgreSQL's server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or PATH: install postgresql to run this test"
		if requireServer() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	slices.Sort(bins) // the newest version last (one digit apart at most)
	s := &pgServer{bin: filepath.Dir(bins[len(bins)-1]), port: freePort(t)}
	dir, err := os.MkdirTemp("", "pgfallback-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		s.as = []string{"runuser", "-u", "postgres", "--"}
	}
	s.run(t, "initdb", "-D", dir, "--auth=trust", "--username=postgres", "--no-sync", "--encoding=UTF8")
	s.start(t)
	t.Cleanup(func() { s.stop(t) })
	return s
}

// run runs the PostgreSQL tool name with args as the postgres user.
func (s *pgServer) run(t *testing.T, name string, args ...string) {
	t.Helper()
	argv := append(slices.Clone(s.as), append([]string{filepath.Join(s.bin, name)}, args...)...)
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

// start starts the server and returns once it accepts connections.
func (s *pgServer) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", s.port, s.dir)
	s.run(t, "pg_ctl", "-D", s.dir, "-o", opts, "-l", filepath.Join(s.dir, "server.log"), "-w", "-t", "30", "start")
}

// stop stops the server at once, as a crash would (immediate shutdown:
// no checkpoint, every connection cut).
func (s *pgServer) stop(t *testing.T) {
	t.Helper()
	s.run(t, "pg_ctl", "-D", s.dir, "-m", "immediate", "-w", "stop")
}

// dsn returns the server's connection string.
func (s *pgServer) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
