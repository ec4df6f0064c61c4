package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"golang.org/x/mod/modfile"
)

// neverTagged lists the workspace's modules that are the repository's own
// and never published: they get no tag. Every other module of go.work is
// published.
var neverTagged = map[string]bool{
	"bench":               true,
	"examples":            true,
	"scripts/releasetool": true,
}

// module is one module of the workspace.
type module struct {
	Dir       string // slash-separated, relative to the repository root; "." for the root
	Path      string // module path
	Published bool   // tagged by a release
	GoMod     string // file name of its go.mod, relative to the repository root
}

// Tag returns the git tag that names version v of m: v itself for the
// module at the root, <dir>/v for the others.
func (m module) Tag(v string) string {
	if m.Dir == "." {
		return v
	}
	return m.Dir + "/" + v
}

// readWorkspace returns the modules that root/go.work uses, sorted by
// directory.
func readWorkspace(root string) ([]module, error) {
	name := filepath.Join(root, "go.work")
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	work, err := modfile.ParseWork(name, data, nil)
	if err != nil {
		return nil, err
	}
	var mods []module
	for _, use := range work.Use {
		dir := path.Clean(filepath.ToSlash(use.Path))
		goMod := path.Join(dir, "go.mod")
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(goMod)))
		if err != nil {
			return nil, err
		}
		f, err := modfile.ParseLax(goMod, data, nil)
		if err != nil {
			return nil, err
		}
		if f.Module == nil {
			return nil, fmt.Errorf("releasetool: %s has no module line", goMod)
		}
		mods = append(mods, module{Dir: dir, Path: f.Module.Mod.Path, Published: !neverTagged[dir], GoMod: goMod})
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Dir < mods[j].Dir })
	return mods, nil
}
