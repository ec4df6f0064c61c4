package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// removeVersion removes from the module cache at modCache every module
// whose path is prefix or under it at version v: the extracted directories
// (<path>@<v>) and the files of the download cache (<v>.info, .mod, .zip,
// .ziphash, .lock, and v's line in a list file), then the directories
// that this leaves empty, up to the first of prefix's parents that is not.
// It touches no other version.
func removeVersion(modCache, prefix, v string) error {
	var dirs []string
	for _, top := range []string{modCache, filepath.Join(modCache, "cache", "download")} {
		base := filepath.Join(top, filepath.FromSlash(prefix))
		// The root module's directory is a sibling of its subdirectory's.
		root := base + "@" + v
		if err := os.RemoveAll(root); err != nil {
			return err
		}
		err := filepath.WalkDir(base, func(name string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				if os.IsNotExist(err) {
					return fs.SkipDir
				}
				return err
			case d.IsDir() && strings.HasSuffix(d.Name(), "@"+v):
				if err := os.RemoveAll(name); err != nil {
					return err
				}
				return fs.SkipDir
			case d.IsDir():
				dirs = append(dirs, name)
			case strings.HasPrefix(d.Name(), v+"."):
				return os.Remove(name)
			case d.Name() == "list":
				return removeLine(name, v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for d := filepath.Dir(base); d != top && strings.HasPrefix(d, top); d = filepath.Dir(d) {
			dirs = append(dirs, d)
		}
	}
	// Deepest first, so that a parent is empty once its children are gone.
	slices.SortFunc(dirs, func(a, b string) int { return len(b) - len(a) })
	for _, d := range dirs {
		if entries, err := os.ReadDir(d); err == nil && len(entries) == 0 {
			if err := os.Remove(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeLine removes the line v from the file name, and the file if no
// line is left.
func removeLine(name, v string) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	lines := strings.Fields(string(data))
	kept := slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return l == v })
	switch {
	case len(kept) == len(lines):
		return nil
	case len(kept) == 0:
		return os.Remove(name)
	}
	return os.WriteFile(name, []byte(strings.Join(kept, "\n")+"\n"), 0o644)
}
