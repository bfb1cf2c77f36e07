package fedcmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// StatusOptions are the flags of `git federate status`.
type StatusOptions struct {
	IO       IO
	Names    []string // none: every federation
	JSON     bool
	ExitCode bool
	SyncEnv
}

// statusCommand is `git federate status`.
func statusCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "compare every ref of origin and each mirror",
		ArgsUsage: "[name…]",
		Description: "For each covered ref (include/exclude): in-sync, behind (a fast-forward fixes\n" +
			"it), ahead (commits only on the mirror), diverged (both have their own commits),\n" +
			"missing (not on the mirror) or extra (not on origin). Uses the sync cache for\n" +
			"history, fetching into it only what it lacks. Pushes nothing.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print every ref of every mirror as JSON"},
			&cli.BoolFlag{Name: "exit-code", Usage: "exit 1 when anything is out of sync"},
		},
		Action: func(c *cli.Context) error {
			return runStatus(c.Context, StatusOptions{IO: stdio, Names: c.Args().Slice(),
				JSON: c.Bool("json"), ExitCode: c.Bool("exit-code")})
		},
	}
}

// runStatus is `git federate status`.
func runStatus(ctx context.Context, opts StatusOptions) error {
	if err := syncCheckNames("status", opts.Names); err != nil {
		return err
	}
	cfg, feds, warnings, err := syncFederations(ctx, opts.SyncEnv, opts.Names, len(opts.Names) == 0)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		opts.IO.P.Fprintf(opts.IO.Err, "warning: %s\n", opts.IO.P.Error(w))
	}
	eng, err := syncEngine(ctx, opts.IO, opts.SyncEnv, cfg, fedsync.DefaultJobs)
	if err != nil {
		return err
	}
	results := eng.StatusAll(ctx, feds)
	if opts.JSON {
		if err := writeSyncJSON(opts.IO.Out, results); err != nil {
			return err
		}
	} else {
		writeStatusText(opts.IO.P, opts.IO.Out, results)
	}
	return statusExit(results, opts.ExitCode)
}

// statusExit: a federation that could not be read is a failure (3 when
// others could be, 1 when none), and so is an unreachable mirror (3);
// otherwise --exit-code gives 1 when anything is out of sync.
func statusExit(results []*fedsync.FederationResult, exitCode bool) error {
	var broken []string
	failedFeds, outOfSync := 0, false
	for _, r := range results {
		if r.Err() != nil {
			failedFeds++
			broken = append(broken, r.Name)
			continue
		}
		for i := range r.Mirrors {
			if r.Mirrors[i].Err() != nil {
				broken = append(broken, r.Name+" "+r.Mirrors[i].URL)
			}
		}
		outOfSync = outOfSync || r.OutOfSync()
	}
	switch {
	case failedFeds == len(results) && failedFeds > 0:
		return &ExitError{Code: ExitFailure, Err: i18n.Errorf("status failed: %s", strings.Join(broken, ", "))}
	case len(broken) > 0:
		return Partial(i18n.Errorf("could not read: %s", strings.Join(broken, ", ")))
	case exitCode && outOfSync:
		return &ExitError{Code: ExitFailure, Err: errSilent}
	}
	return nil
}

// errSilent is an exit status without a message, like `git diff --exit-code`.
var errSilent = silentError{}

type silentError struct{}

func (silentError) Error() string { return "" }

func writeStatusText(p *i18n.Printer, w io.Writer, results []*fedsync.FederationResult) {
	for _, r := range results {
		if r.Err() != nil {
			p.Fprintf(w, "%s: FAILED: %s\n", r.Name, withoutName(p, r.Name, r.Err()))
			continue
		}
		p.Fprintf(w, "%s: origin %s\n", r.Name, r.Origin)
		for i := range r.Mirrors {
			writeMirrorStatus(p, w, &r.Mirrors[i])
		}
	}
}

func writeMirrorStatus(p *i18n.Printer, w io.Writer, m *fedsync.MirrorResult) {
	if m.Err() != nil {
		p.Fprintf(w, "  %s: %s: %s\n", m.URL, failureLabel(p, m.Err()), p.Error(m.Err()))
		return
	}
	counts := m.Summary()
	var parts []string
	for _, st := range []fedsync.State{fedsync.Behind, fedsync.Ahead, fedsync.Diverged,
		fedsync.Missing, fedsync.Extra, fedsync.InSync} {
		if n := counts[st]; n > 0 {
			parts = append(parts, countWord(p, n, string(st)))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, p.Sprintf("no covered refs"))
	}
	p.Fprintf(w, "  %s: %s\n", m.URL, strings.Join(parts, p.Sprintf(", ")))
	writeLFSStatus(p, w, m.LFSMissing)
	for _, r := range m.Refs {
		if r.State != fedsync.InSync {
			fmt.Fprintf(w, "    %-9s %s%s\n", r.State, r.Ref, syncRefNote(r))
		}
	}
}

// writeLFSStatus says when a mirror lacks LFS objects of origin's refs.
func writeLFSStatus(p *i18n.Printer, w io.Writer, missing int) {
	switch {
	case missing < 0:
		p.Fprintf(w, "    lfs       could not ask the mirror which LFS objects it holds\n")
	case missing > 0:
		p.Fprintf(w, "    lfs       LFS objects missing on the mirror: %d\n", missing)
	}
}
