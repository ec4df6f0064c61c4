package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRemoveVersion(t *testing.T) {
	const v, other = "v0.0.1-sim.1", "v0.3.0"
	cache := t.TempDir()
	dl := filepath.Join(cache, "cache", "download")
	files := map[string]string{
		"github.com/gorate/ratelimit@" + v + "/go.mod":                  "x",
		"github.com/gorate/ratelimit/store/sqlite@" + v + "/go.mod":     "x",
		"github.com/gorate/ratelimit/store/sqlite@" + other + "/go.mod": "x",
		"github.com/other/mod@" + v + "/go.mod":                         "x",
	}
	for _, f := range []string{"ratelimit/@v", "ratelimit/store/sqlite/@v"} {
		for _, ext := range []string{".info", ".mod", ".zip", ".ziphash", ".lock"} {
			files["cache/download/github.com/gorate/"+f+"/"+v+ext] = "x"
		}
	}
	files["cache/download/github.com/gorate/ratelimit/store/sqlite/@v/"+other+".mod"] = "x"
	files["cache/download/github.com/gorate/ratelimit/store/sqlite/@v/list"] = v + "\n" + other + "\n"
	files["cache/download/github.com/gorate/ratelimit/@v/list"] = v + "\n"
	for name, content := range files {
		name = filepath.Join(cache, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, name, content)
	}

	if err := removeVersion(cache, "github.com/gorate/ratelimit", v); err != nil {
		t.Fatal(err)
	}

	for _, gone := range []string{
		"github.com/gorate/ratelimit@" + v,
		"github.com/gorate/ratelimit/store/sqlite@" + v,
		"cache/download/github.com/gorate/ratelimit/@v",
		"cache/download/github.com/gorate/ratelimit/store/sqlite/@v/" + v + ".zip",
	} {
		if _, err := os.Stat(filepath.Join(cache, filepath.FromSlash(gone))); !os.IsNotExist(err) {
			t.Errorf("%s: err = %v, want it removed", gone, err)
		}
	}
	for name, want := range map[string]string{
		"github.com/gorate/ratelimit/store/sqlite@" + other + "/go.mod":                "x",
		"github.com/other/mod@" + v + "/go.mod":                                        "x",
		"cache/download/github.com/gorate/ratelimit/store/sqlite/@v/" + other + ".mod": "x",
		"cache/download/github.com/gorate/ratelimit/store/sqlite/@v/list":              other + "\n",
	} {
		got, err := os.ReadFile(filepath.Join(cache, filepath.FromSlash(name)))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q kept", name, got, err, want)
		}
	}

	// Once no version is left, no directory of the prefix is either.
	if err := removeVersion(cache, "github.com/gorate/ratelimit", other); err != nil {
		t.Fatal(err)
	}
	for _, top := range []string{cache, dl} {
		if _, err := os.Stat(filepath.Join(top, "github.com", "gorate")); !os.IsNotExist(err) {
			t.Errorf("%s/github.com/gorate: err = %v, want it removed", top, err)
		}
	}
}
