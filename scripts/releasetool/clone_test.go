package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// cloneHead clones the commit the repository that holds this test has
// checked out into a temporary directory, and returns the clone's root.
// Git runs with no system or global configuration and a fixed identity, so
// that the tool's commit and tags work on any machine. What the clone holds
// is HEAD: changes not committed are not in it.
func cloneHead(t *testing.T) string {
	t.Helper()
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "releasetool test")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "releasetool@example.invalid")
	}
	top := strings.TrimSpace(mustGit(t, ".", "rev-parse", "--show-toplevel"))
	head := strings.TrimSpace(mustGit(t, top, "rev-parse", "HEAD"))
	clone := filepath.Join(t.TempDir(), "repo")
	mustGit(t, ".", "clone", "-q", "--no-checkout", top, clone)
	mustGit(t, clone, "checkout", "-q", "--detach", head)
	return clone
}

// mustGit runs git in dir and returns its output; a failure fails the test.
func mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := git(dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
