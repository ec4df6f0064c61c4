// Command releasetool tags every published module of the repository in
// lockstep; scripts/release runs it.
//
//	releasetool [-C dir] [-dry-run] VERSION
//
// It reads the modules of dir/go.work (default: the current directory,
// which must be the repository's root), sets every requirement of a
// published module in their go.mod files to VERSION, commits those files,
// and tags that commit VERSION for the root module and <dir>/VERSION for
// each other published module (store/redis/v0.3.0). bench, examples and
// scripts/releasetool are never tagged. The replace directives stay: Go
// ignores them in a dependency, and they keep a build of one module on its
// own (GOWORK=off) working. It refuses a working tree with changes and a
// tag that exists, pushes nothing, and prints the command that pushes.
// With -dry-run it prints what it would do and changes nothing.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// errUsage is the error of a command line run cannot follow.
var errUsage = errors.New("usage: releasetool [-C dir] [-dry-run] VERSION")

// run is the command with its arguments; it writes its report to out.
func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("releasetool", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	root := fs.String("C", ".", "the repository's root `dir`")
	dryRun := fs.Bool("dry-run", false, "print what the release would do and change nothing")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() != 1 {
		return errUsage
	}
	v := fs.Arg(0)
	if err := checkVersion(v); err != nil {
		return err
	}
	mods, err := readWorkspace(*root)
	if err != nil {
		return err
	}
	changes, files, err := rewriteRequirements(*root, mods, v)
	if err != nil {
		return err
	}
	var tags []string
	for _, m := range mods {
		if m.Published {
			tags = append(tags, m.Tag(v))
		}
	}
	for _, tag := range tags {
		if tagExists(*root, tag) {
			return fmt.Errorf("releasetool: tag %s exists", tag)
		}
	}
	status, err := git(*root, "status", "--porcelain")
	if err != nil {
		return err
	}
	if status != "" && !*dryRun {
		return fmt.Errorf("releasetool: the working tree has changes; commit or remove them first:\n%s", status)
	}

	verb := ""
	if *dryRun {
		verb = "would "
	}
	for _, c := range changes {
		fmt.Fprintf(out, "%sset %s: require %s %s (was %s)\n", verb, c.GoMod, c.Path, c.To, c.From)
	}
	names := slices.Sorted(maps.Keys(files))
	if *dryRun {
		if len(names) > 0 {
			fmt.Fprintf(out, "would commit %s\n", strings.Join(names, " "))
		}
		for _, tag := range tags {
			fmt.Fprintf(out, "would tag %s\n", tag)
		}
		return nil
	}
	if len(names) > 0 {
		for _, name := range names {
			if err := os.WriteFile(filepath.Join(*root, filepath.FromSlash(name)), files[name], 0o644); err != nil {
				return err
			}
		}
		msg := fmt.Sprintf("release %s: the modules require each other at %s", v, v)
		if _, err := git(*root, append([]string{"commit", "-q", "-m", msg, "--"}, names...)...); err != nil {
			return err
		}
		fmt.Fprintf(out, "committed %s\n", strings.Join(names, " "))
	}
	for _, tag := range tags {
		if _, err := git(*root, "tag", "-a", "-m", tag, tag); err != nil {
			return err
		}
		fmt.Fprintf(out, "tagged %s\n", tag)
	}
	fmt.Fprintf(out, "push with: git push origin HEAD %s\n", strings.Join(tags, " "))
	return nil
}
