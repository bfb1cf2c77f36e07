package fedcmd

import (
	"context"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// RemoveOptions are the inputs of `git federate remove`.
type RemoveOptions struct {
	Name   string
	Global bool
	Dir    string // where git runs; "" is the current directory
}

// removeCommand is `git federate remove`.
func removeCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "remove",
		Aliases:   []string{"rm"},
		Usage:     "delete a federation (or federationset) from git config",
		ArgsUsage: "<name> [--global]",
		Description: "Deletes [federation \"<name>\"] from the repository's git config, or with\n" +
			"--global from the global one, and drops what the repository's pushes queued\n" +
			"for its mirrors (those no other federation has). Repositories and tokens are\n" +
			"not touched.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "global", Usage: "remove from the global git config instead of the repository's"},
		},
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 1, 1, "<name>"); err != nil {
				return err
			}
			return runRemove(c.Context, stdio, RemoveOptions{Name: c.Args().First(), Global: c.Bool("global")})
		},
	}
}

func runRemove(ctx context.Context, stdio IO, opts RemoveOptions) error {
	if err := checkName(opts.Name); err != nil {
		return err
	}
	sc := scope{Global: opts.Global, Dir: opts.Dir}
	if err := sc.check(ctx); err != nil {
		return err
	}
	dropped := mirrorsOnlyOf(ctx, opts.Dir, opts.Name)
	for _, section := range []string{"federation", "federationset"} {
		removed, err := sc.removeSection(ctx, section, opts.Name)
		if err != nil {
			return i18n.Errorf("removing %s %q: %w", section, opts.Name, err)
		}
		if removed {
			stdio.P.Fprintf(stdio.Out, "Removed %s %q from the %s git config.\n", section, opts.Name, sc)
			if section == "federation" {
				return dropQueued(ctx, stdio, opts.Dir, dropped)
			}
			return nil
		}
	}
	hint := stdio.P.Sprintf("see `git federate list`")
	if cfg, _ := federation.Load(ctx, "", opts.Dir); cfg != nil {
		if near := federation.DidYouMean(opts.Name, cfg.DefinedNames()); near != "" {
			hint = strings.TrimPrefix(near, "; ")
		}
	}
	other := scope{Global: !opts.Global, Dir: opts.Dir}
	if other.check(ctx) == nil {
		if ok, _ := other.hasSection(ctx, "federation", opts.Name); ok {
			hint = stdio.P.Sprintf("it is in the %s config: run `git federate remove %s%s`", other, opts.Name, globalSuffix(other))
		}
	}
	return &ExitError{Code: ExitUsage, Err: i18n.Errorf("no federation %q in the %s git config; %s", opts.Name, sc, hint)}
}

// mirrorsOnlyOf are the mirrors of federation name (as the configuration
// in dir sees it) that no other federation has.
func mirrorsOnlyOf(ctx context.Context, dir, name string) []string {
	cfg, _ := federation.Load(ctx, "", dir)
	if cfg == nil || cfg.Federations[name] == nil {
		return nil
	}
	others := map[string]bool{}
	for n, f := range cfg.Federations {
		for _, m := range f.Mirrors {
			if n != name {
				others[m.Raw] = true
			}
		}
	}
	var out []string
	for _, m := range cfg.Federations[name].Mirrors {
		if !others[m.Raw] {
			out = append(out, m.Raw)
		}
	}
	return out
}

// dropQueued removes from the pending queue of the repository dir is in
// what its pushes queued for mirrors: nothing will ever deliver it.
// Outside a repository there is no queue.
func dropQueued(ctx context.Context, stdio IO, dir string, mirrors []string) error {
	if len(mirrors) == 0 {
		return nil
	}
	out, err := gitexec.Runner{Dir: dir}.Output(ctx, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return nil
	}
	q := pending.Open(strings.TrimSpace(string(out)))
	for _, m := range mirrors {
		queued, err := q.ForMirror(m)
		if err != nil {
			return err
		}
		if len(queued) == 0 {
			continue
		}
		if err := q.RemoveMirror(ctx, m); err != nil {
			return i18n.Errorf("dropping the updates queued for %s: %w", m, err)
		}
		stdio.P.Fprintf(stdio.Out, "Dropped %d update(s) queued for %s.\n", len(queued), m)
	}
	return nil
}
