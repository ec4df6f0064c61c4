package main

import (
	"errors"
	"fmt"

	"golang.org/x/mod/semver"
)

// errVersion is the error of a VERSION argument the release refuses.
var errVersion = errors.New("releasetool: bad version")

// checkVersion reports whether v can tag this repository's modules: a
// canonical semantic version with a leading v (v1.2.3 or v1.2.3-rc.1, not
// v1.2, nor build metadata such as +meta, which Go drops), of major version
// 0 or 1, since the module paths carry no /vN suffix.
func checkVersion(v string) error {
	switch {
	case !semver.IsValid(v):
		return fmt.Errorf("%w: %q is not a semantic version with a leading v, such as v0.3.0", errVersion, v)
	case semver.Canonical(v) != v:
		return fmt.Errorf("%w: %q is not canonical (write %s)", errVersion, v, semver.Canonical(v))
	case semver.Major(v) != "v0" && semver.Major(v) != "v1":
		return fmt.Errorf("%w: %q: a major version above v1 needs a /%s suffix on every module path", errVersion, v, semver.Major(v))
	}
	return nil
}
