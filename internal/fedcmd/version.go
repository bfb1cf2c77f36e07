package fedcmd

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/urfave/cli/v2"
)

// version and commit are set at link time by install.sh and
// scripts/release (-ldflags "-X .../internal/fedcmd.version=1.2.0
// -X .../internal/fedcmd.commit=<hash>"); the code never writes them.
// Empty in a plain `go build`, where the module's build info stands in.
// A release is built without VCS stamping (so that it is reproducible
// from an export of the commit), hence the commit of its own.
var version, commit string

// BuildInfo is what `git federate version` reports.
type BuildInfo struct {
	Version, Commit, Go, Git string
}

// versionCommand is `git federate version`.
func versionCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, commit, Go and git versions",
		Description: "The version is the one install.sh stamped from `git describe`, else the\n" +
			"module version or commit Go recorded at build time.",
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 0, 0, ""); err != nil {
				return err
			}
			return printVersion(c.Context, stdio)
		},
	}
}

func printVersion(ctx context.Context, stdio IO) error {
	b := readBuildInfo(ctx)
	_, err := fmt.Fprintf(stdio.Out, "git-federate version %s\ncommit: %s\ngo: %s\ngit: %s\n", b.Version, b.Commit, b.Go, b.Git)
	return err
}

// readBuildInfo gathers the versions; what cannot be known says so.
func readBuildInfo(ctx context.Context) BuildInfo {
	b := BuildInfo{Version: version, Commit: commit, Go: runtime.Version(), Git: "not found"}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		vcs := map[string]string{}
		for _, s := range info.Settings {
			vcs[s.Key] = s.Value
		}
		if rev := vcs["vcs.revision"]; rev != "" && commit == "" {
			b.Commit = rev
			if vcs["vcs.modified"] == "true" {
				b.Commit += " (modified)"
			}
		}
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	if out, err := (gitexec.Runner{}).Output(ctx, "version"); err == nil {
		b.Git = strings.TrimPrefix(strings.TrimSpace(string(out)), "git version ")
	}
	return b
}
