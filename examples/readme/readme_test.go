package main

import (
	"bytes"
	"os"
	"testing"
)

// TestREADME holds the README's quickstart to this program, which the
// module's build compiles: the first Go block of the README must be this
// file, byte for byte.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := bytes.Cut(readme, []byte("```go\n"))
	if ok {
		block, _, ok = bytes.Cut(block, []byte("```"))
	}
	if !ok {
		t.Fatal("README.md has no Go block")
	}
	if !bytes.Equal(block, src) {
		t.Errorf("README.md's quickstart differs from main.go:\n%s\nwant:\n%s", block, src)
	}
	if n := bytes.Count(src, []byte("\n")); n > 10 {
		t.Errorf("the quickstart is %d lines, want at most 10", n)
	}
}
