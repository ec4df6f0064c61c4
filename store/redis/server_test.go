package redisstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// server is a private redis-server child process on a loopback port.
type server struct {
	t    testing.TB
	port int
	args []string
	cmd  *exec.Cmd
	done chan struct{}
}

// freePort returns a loopback port from 30000 up that is free, as is the
// port 10000 above it (a cluster node's bus port).
func freePort(t testing.TB) int {
	t.Helper()
	for range 200 {
		p := 30000 + rand.IntN(15000)
		l1, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+10000))
		l1.Close()
		if err != nil {
			continue
		}
		l2.Close()
		return p
	}
	t.Fatal("no free port pair in 30000-55000")
	return 0
}

// startServer starts redis-server on a free port with args added, in dir,
// and kills it at the test's end. A missing redis-server binary skips the
// test, or fails it when servers are required.
func startServer(t testing.TB, dir string, args ...string) *server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unreachable(t, "redis-server not found: %v", err)
	}
	s := &server{t: t, port: freePort(t), args: args}
	s.start(dir)
	t.Cleanup(s.kill)
	return s
}

// privateServer starts a private redis-server with args (see startServer)
// and returns it with a client of it configured by opt (its Addr set),
// closed at the test's end. Under -short it skips the test.
func privateServer(t *testing.T, opt redis.Options, args ...string) (*server, *redis.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a server")
	}
	srv := startServer(t, t.TempDir(), args...)
	opt.Addr = srv.addr()
	c := redis.NewClient(&opt)
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start runs the server and waits up to 5s until it answers PING.
func (s *server) start(dir string) {
	s.t.Helper()
	args := append([]string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no"}, s.args...)
	s.cmd = exec.Command("redis-server", args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		cmd.Wait()
		close(done)
	}(s.cmd, s.done)
	c := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.kill()
			s.t.Fatalf("redis-server on %s did not answer within 5s: %v", s.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signal sends sig to the server's process.
func (s *server) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("redis-server: %v: %v", sig, err)
	}
}

// kill sends SIGKILL and waits for the process to exit.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// startCluster starts three masters on loopback, joins them with
// redis-cli --cluster create and waits for cluster_state:ok, within 15s.
func startCluster(t testing.TB) []string {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			unreachable(t, "%s not found: %v", bin, err)
		}
	}
	dir := t.TempDir()
	var addrs []string
	for range 3 {
		// Each node gets its own config file in dir (named by port).
		p := freePort(t)
		s := &server{t: t, port: p, args: []string{"--cluster-enabled", "yes",
			"--cluster-config-file", fmt.Sprintf("%s/nodes-%d.conf", dir, p), "--cluster-node-timeout", "2000"}}
		s.start(dir)
		t.Cleanup(s.kill)
		addrs = append(addrs, s.addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && containsLine(info, "cluster_state:ok") {
				break
			}
			if ctx.Err() != nil {
				c.Close()
				t.Fatalf("cluster node %s not ok within 15s: %v\n%s", a, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.Close()
	}
	return addrs
}

func containsLine(text, line string) bool {
	for len(text) > 0 {
		i := 0
		for i < len(text) && text[i] != '\n' {
			i++
		}
		l := text[:i]
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		if l == line {
			return true
		}
		if i == len(text) {
			break
		}
		text = text[i+1:]
	}
	return false
}
