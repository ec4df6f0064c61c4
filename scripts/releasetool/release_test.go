package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// testVersion is the version the tests release in their clones; no real
// release takes it.
const testVersion = "v0.0.1-releasetest"

// zeroPseudo is the version a requirement names when a replace supplies it.
const zeroPseudo = "v0.0.0-00010101000000-000000000000"

func TestReleaseDryRunChangesNothing(t *testing.T) {
	clone := cloneHead(t)
	var out bytes.Buffer
	if err := run([]string{"-C", clone, "-dry-run", testVersion}, &out); err != nil {
		t.Fatal(err)
	}
	if want := "would tag store/redis/" + testVersion + "\n"; !strings.Contains(out.String(), want) {
		t.Errorf("dry run printed\n%s\nwant a line %q", out.String(), want)
	}
	if status := mustGit(t, clone, "status", "--porcelain"); status != "" {
		t.Errorf("dry run changed the tree:\n%s", status)
	}
	if tags := mustGit(t, clone, "tag", "--list", "*"+testVersion); tags != "" {
		t.Errorf("dry run tagged:\n%s", tags)
	}
}

func TestReleaseRewritesCommitsAndTags(t *testing.T) {
	clone := cloneHead(t)
	before := strings.TrimSpace(mustGit(t, clone, "rev-parse", "HEAD"))
	mods, err := readWorkspace(clone)
	if err != nil {
		t.Fatal(err)
	}
	replaces := map[string]int{}
	for _, m := range mods {
		replaces[m.GoMod] = len(parseGoMod(t, clone, m).Replace)
	}

	var out bytes.Buffer
	if err := run([]string{"-C", clone, testVersion}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Logf("release printed:\n%s", out.String())

	head := strings.TrimSpace(mustGit(t, clone, "rev-parse", "HEAD"))
	if parent := strings.TrimSpace(mustGit(t, clone, "rev-parse", "HEAD~1")); parent != before {
		t.Errorf("the release commit's parent is %s, want the clone's HEAD %s", parent, before)
	}
	for _, name := range strings.Fields(mustGit(t, clone, "diff", "--name-only", "HEAD~1", "HEAD")) {
		if filepath.Base(name) != "go.mod" {
			t.Errorf("the release commit changed %s; it changes go.mod files only", name)
		}
	}
	if status := mustGit(t, clone, "status", "--porcelain"); status != "" {
		t.Errorf("the release left changes not committed:\n%s", status)
	}

	published := map[string]bool{}
	for _, m := range mods {
		published[m.Path] = m.Published
	}
	for _, m := range mods {
		tagged, err := git(clone, "rev-parse", "-q", "--verify", m.Tag(testVersion)+"^{commit}")
		switch {
		case m.Published && (err != nil || strings.TrimSpace(tagged) != head):
			t.Errorf("tag %s is %q (%v), want the release commit %s", m.Tag(testVersion), tagged, err, head)
		case !m.Published && err == nil:
			t.Errorf("module %s is never tagged, but tag %s exists", m.Dir, m.Tag(testVersion))
		}
		f := parseGoMod(t, clone, m)
		for _, r := range f.Require {
			if published[r.Mod.Path] && r.Mod.Version != testVersion {
				t.Errorf("%s requires %s %s, want %s", m.GoMod, r.Mod.Path, r.Mod.Version, testVersion)
			}
			if r.Mod.Version == zeroPseudo {
				t.Errorf("%s still requires %s at the zero pseudo-version", m.GoMod, r.Mod.Path)
			}
		}
		if len(f.Replace) != replaces[m.GoMod] {
			t.Errorf("%s has %d replace directives, had %d: the release keeps them", m.GoMod, len(f.Replace), replaces[m.GoMod])
		}
	}

	if err := run([]string{"-C", clone, testVersion}, &out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second release of %s: err = %v, want a tag that exists", testVersion, err)
	}
}

func TestReleaseRefusesChangesNotCommitted(t *testing.T) {
	clone := cloneHead(t)
	if err := os.WriteFile(filepath.Join(clone, "stray.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run([]string{"-C", clone, testVersion}, &out)
	if err == nil || !strings.Contains(err.Error(), "working tree has changes") {
		t.Fatalf("release with a stray file: err = %v, want a refusal", err)
	}
	if tags := mustGit(t, clone, "tag", "--list", "*"+testVersion); tags != "" {
		t.Errorf("a refused release tagged:\n%s", tags)
	}
}

func TestReleaseRefusesBadVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-C", t.TempDir(), "v1.2"}, &out); err == nil {
		t.Fatal("release v1.2: no error, want a bad version")
	}
}

// parseGoMod parses the go.mod of m in the repository at root.
func parseGoMod(t *testing.T, root string, m module) *modfile.File {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(m.GoMod)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(m.GoMod, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReleaseScript(t *testing.T) {
	clone := cloneHead(t)
	// The script passes -C with the repository's root first; the -C here
	// comes later and wins, so the dry run reads the clone.
	cmd := exec.CommandContext(t.Context(), filepath.Join("..", "release"), "-C", clone, "-dry-run", testVersion)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/release -dry-run: %v\n%s", err, out)
	}
	if want := "would tag " + testVersion + "\n"; !strings.Contains(string(out), want) {
		t.Errorf("scripts/release -dry-run printed\n%s\nwant a line %q", out, want)
	}

	cmd = exec.CommandContext(t.Context(), filepath.Join("..", "release"), "-C", clone, "0.3.0")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "bad version") {
		t.Errorf("scripts/release 0.3.0: %v\n%s\nwant a bad version", err, out)
	}
}
