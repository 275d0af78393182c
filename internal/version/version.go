// Package version tells which build of Tessera is running: the release
// the Makefile stamps in (-ldflags "-X tessera/internal/version.release=..."),
// else what the Go toolchain recorded of the source (its commit, and
// whether it had changes), else "dev".
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// release is set at link time by `make build` and `make run`; empty in a
// plain `go build`.
var release string

// Info describes a build.
type Info struct {
	// Version is the release (as `git describe` wrote it), or
	// "dev-<commit>" when only the commit is known, or "dev".
	Version string
	// Commit is the source's commit, when known; Modified says the source
	// had changes not committed.
	Commit   string
	Modified bool
	Go       string
}

// Get returns the running build's Info.
func Get() Info {
	info := Info{Version: release, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
		if info.Commit != "" {
			info.Version += "-" + short(info.Commit)
			if info.Modified {
				info.Version += "-modified"
			}
		}
	}
	return info
}

// String is the line `tessera version` prints: the version, the commit
// when the version does not already name it, and the Go release.
func (i Info) String() string {
	s := "tessera " + i.Version
	// git describe abbreviates the commit to 7 digits or more.
	if c := short(i.Commit); c != "" && (len(c) < 7 || !strings.Contains(i.Version, c[:7])) {
		s += " (commit " + c
		if i.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + ", " + i.Go
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
