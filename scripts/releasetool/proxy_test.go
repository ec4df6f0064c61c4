package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	modpkg "golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// writeProxy writes, under dir, a module proxy that the go command reads
// through GOPROXY=file://dir: version v of every published module of mods,
// made from its tag in the git repository at repo as a proxy would make
// it, with zip.CreateFromVCS (which leaves out nested modules, vendor
// directories and what git does not track).
func writeProxy(t *testing.T, dir, repo string, mods []module, v string) {
	t.Helper()
	for _, m := range mods {
		if !m.Published {
			continue
		}
		escaped, err := modpkg.EscapePath(m.Path)
		if err != nil {
			t.Fatal(err)
		}
		vdir := filepath.Join(dir, filepath.FromSlash(escaped), "@v")
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			t.Fatal(err)
		}
		tag := m.Tag(v)
		rev := strings.TrimSpace(mustGit(t, repo, "rev-parse", tag+"^{commit}"))
		when, err := time.Parse(time.RFC3339, strings.TrimSpace(mustGit(t, repo, "show", "-s", "--format=%cI", rev)))
		if err != nil {
			t.Fatal(err)
		}
		info, err := json.Marshal(struct {
			Version string
			Time    time.Time
		}{v, when.UTC()})
		if err != nil {
			t.Fatal(err)
		}
		subdir := ""
		if m.Dir != "." {
			subdir = m.Dir
		}
		goMod := mustGit(t, repo, "show", rev+":"+m.GoMod)
		writeFile(t, filepath.Join(vdir, "list"), v+"\n")
		writeFile(t, filepath.Join(vdir, v+".info"), string(info))
		writeFile(t, filepath.Join(vdir, v+".mod"), goMod)
		z, err := os.Create(filepath.Join(vdir, v+".zip"))
		if err != nil {
			t.Fatal(err)
		}
		err = zip.CreateFromVCS(z, modpkg.Version{Path: m.Path, Version: v}, repo, rev, subdir)
		if cerr := z.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatalf("zip of %s@%s: %v", m.Path, v, err)
		}
	}
}

// writeFile writes content to the file name.
func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
