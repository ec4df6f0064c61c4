package main

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"
)

// change is one requirement a release rewrites.
type change struct {
	GoMod, Path, From, To string
}

// rewriteRequirements sets, in the go.mod of every module in mods, each
// requirement of a published module of mods to version v, and returns the
// changes and the new contents of the go.mod files that change (by file
// name relative to root). It writes nothing. The replace directives stay:
// they serve builds of one module on its own (GOWORK=off) and Go ignores
// them in a module that is a dependency. A published module that requires
// an unpublished one is an error: its users could not resolve it.
func rewriteRequirements(root string, mods []module, v string) ([]change, map[string][]byte, error) {
	published := map[string]bool{}
	for _, m := range mods {
		published[m.Path] = m.Published
	}
	var changes []change
	files := map[string][]byte{}
	for _, m := range mods {
		name := filepath.Join(root, filepath.FromSlash(m.GoMod))
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, nil, err
		}
		f, err := modfile.Parse(m.GoMod, data, nil)
		if err != nil {
			return nil, nil, err
		}
		n := len(changes)
		for _, r := range f.Require {
			pub, sibling := published[r.Mod.Path]
			switch {
			case !sibling:
				continue
			case !pub && m.Published:
				return nil, nil, fmt.Errorf("releasetool: published module %s requires %s, which is never tagged", m.Path, r.Mod.Path)
			case !pub || r.Mod.Version == v:
				continue
			}
			changes = append(changes, change{GoMod: m.GoMod, Path: r.Mod.Path, From: r.Mod.Version, To: v})
		}
		if len(changes) == n {
			continue
		}
		for _, c := range changes[n:] {
			if err := f.AddRequire(c.Path, c.To); err != nil {
				return nil, nil, err
			}
		}
		out, err := f.Format()
		if err != nil {
			return nil, nil, err
		}
		files[m.GoMod] = out
	}
	return changes, files, nil
}
