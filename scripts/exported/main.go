// Command exported counts the exported identifiers of the public packages of
// every module under a directory: the measure issue 11 judges the API by.
//
//	go run ./scripts/exported [dir]
//
// A public package is one that is not a main package, not a test, not under
// an internal, testdata, examples or bench folder. It prints, per package and
// in total, the top-level exported names (functions, types, variables,
// constants), and that count plus the exported methods (of any type: an
// unexported type's are reachable through the interfaces it implements), the
// exported fields of exported struct types and the methods of exported
// interfaces.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	type count struct{ top, all int }
	counts := map[string]*count{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "internal", "testdata", "examples", "bench", ".git", "scripts":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		dir := filepath.Dir(path)
		c := counts[dir]
		if c == nil {
			c = &count{}
			counts[dir] = c
		}
		top, all := countFile(f)
		c.top += top
		c.all += all
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dirs := make([]string, 0, len(counts))
	for d := range counts {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	var top, all int
	fmt.Printf("%-40s %5s %5s\n", "package", "top", "all")
	for _, d := range dirs {
		c := counts[d]
		fmt.Printf("%-40s %5d %5d\n", d, c.top, c.all)
		top += c.top
		all += c.all
	}
	fmt.Printf("%-40s %5d %5d\n", "total", top, all)
}

// countFile returns the file's exported top-level names, and those plus the
// exported methods and fields of its exported types.
func countFile(f *ast.File) (top, all int) {
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv == nil {
				top++
			} else {
				all++ // on any type: an unexported one's are reachable through interfaces
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() {
							top++
						}
					}
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					top++
					all += members(s.Type)
				}
			}
		}
	}
	return top, top + all
}

// members counts the exported fields of a struct type or methods of an
// interface type.
func members(t ast.Expr) int {
	var fields *ast.FieldList
	switch t := t.(type) {
	case *ast.StructType:
		fields = t.Fields
	case *ast.InterfaceType:
		fields = t.Methods
	default:
		return 0
	}
	n := 0
	for _, f := range fields.List {
		for _, name := range f.Names {
			if name.IsExported() {
				n++
			}
		}
	}
	return n
}
