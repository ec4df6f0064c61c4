package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// git runs git with args in the repository at root and returns its
// standard output; a failure's error carries its standard error.
func git(root string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// tagExists reports whether the repository at root has the tag.
func tagExists(root, tag string) bool {
	_, err := git(root, "rev-parse", "-q", "--verify", "refs/tags/"+tag)
	return err == nil
}
