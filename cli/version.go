package cli

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// buildInfo is what --version says: the module version and the commit it
// was built from, read from the build info the Go toolchain embeds. A
// build without VCS stamping (-buildvcs=false, or outside a git checkout,
// as with `go run` here) says so instead of inventing a version.
type buildInfo struct {
	Version  string // v1.2.3, or "(devel)" for a local build
	Revision string // vcs.revision, "" when not stamped
	Time     string // vcs.time
	Modified bool   // vcs.modified: uncommitted changes
	Go       string
}

func readBuildInfo(bi *debug.BuildInfo, ok bool) buildInfo {
	out := buildInfo{Version: "(devel)", Go: runtime.Version()}
	if version != "" {
		out.Version = version
	}
	if !ok || bi == nil {
		return out
	}
	if version == "" && bi.Main.Version != "" {
		out.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		out.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			out.Revision = s.Value
		case "vcs.time":
			out.Time = s.Value
		case "vcs.modified":
			out.Modified = s.Value == "true"
		}
	}
	return out
}

func (b buildInfo) String() string {
	var sb strings.Builder
	sb.WriteString("rewind ")
	sb.WriteString(b.Version)
	switch {
	case b.Revision != "":
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		sb.WriteString(" (commit " + rev)
		if b.Time != "" {
			sb.WriteString(", " + b.Time)
		}
		if b.Modified {
			sb.WriteString(", with uncommitted changes")
		}
		sb.WriteString(")")
	case strings.HasPrefix(b.Version, "v"):
		// A released module version names its commit by itself.
	default:
		sb.WriteString(" (commit unknown: built without VCS stamping, e.g. -buildvcs=false)")
	}
	sb.WriteString(" " + b.Go)
	return sb.String()
}

// Short is the version for the status bar: the module version, or the
// short commit of a local build.
func (b buildInfo) Short() string {
	if b.Revision != "" && !strings.HasPrefix(b.Version, "v") {
		rev := b.Revision
		if len(rev) > 7 {
			rev = rev[:7]
		}
		if b.Modified {
			rev += "+"
		}
		return rev
	}
	return b.Version
}

func currentBuild() buildInfo { return readBuildInfo(debug.ReadBuildInfo()) }

func versionLine() string { return currentBuild().String() }

// buildVersion is the short form shown in the UI.
func buildVersion() string { return currentBuild().Short() }
