package fedcmd

import (
	"context"
	"slices"
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
	Mirror string // with it, only this mirror leaves Name ("": the whole federation)
	Global bool
	Dir    string // where git runs; "" is the current directory
}

// removeCommand is `git federate remove`.
func removeCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "remove",
		Aliases:   []string{"rm"},
		Usage:     "delete a federation (or federationset) from git config",
		ArgsUsage: "<name> [--mirror URL] [--global]",
		Description: "Deletes [federation \"<name>\"] from the repository's git config, or with\n" +
			"--global from the global one, and drops what the repository's pushes queued\n" +
			"for its mirrors (those no other federation has). Repositories and tokens are\n" +
			"not touched.\n\n" +
			"With --mirror URL, only that mirror leaves the federation (it must keep one),\n" +
			"and what was queued for it is dropped once no federation has it. Without a\n" +
			"name, --mirror only drops what was queued for a mirror no federation has any\n" +
			"more (one taken out of the config by hand: `git federate status` lists it).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mirror", Usage: "remove only this mirror `URL` (as configured)"},
			&cli.BoolFlag{Name: "global", Usage: "remove from the global git config instead of the repository's"},
		},
		Action: func(c *cli.Context) error {
			opts := RemoveOptions{Mirror: c.String("mirror"), Global: c.Bool("global")}
			if opts.Mirror != "" {
				if err := wantArgs(c, 0, 1, "[<name>]"); err != nil {
					return err
				}
				opts.Name = c.Args().First()
				return runRemoveMirror(c.Context, stdio, opts)
			}
			if err := wantArgs(c, 1, 1, "<name>"); err != nil {
				return err
			}
			opts.Name = c.Args().First()
			return runRemove(c.Context, stdio, opts)
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
				_, err := dropQueued(ctx, stdio, opts.Dir, dropped)
				return err
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

// runRemoveMirror is `remove [<name>] --mirror URL`: the mirror leaves
// federation name in the scope's config (unless it is its only one),
// and what the repository's pushes queued for it is dropped once no
// federation has it; without a name, only the latter.
func runRemoveMirror(ctx context.Context, stdio IO, opts RemoveOptions) error {
	if opts.Name != "" {
		if err := removeMirror(ctx, stdio, opts); err != nil {
			return err
		}
	}
	if cfg, err := federation.Load(ctx, "", opts.Dir); cfg == nil {
		return err // what git config could not read
	} else if has := cfg.WithMirror(opts.Mirror); len(has) > 0 {
		if opts.Name != "" {
			return nil // another federation still sends it what it queued
		}
		return &ExitError{Code: ExitUsage, Err: i18n.Errorf("%s is a mirror of %s: run `git federate remove %s --mirror %s` first",
			opts.Mirror, strings.Join(has, ", "), has[0], opts.Mirror)}
	}
	n, err := dropQueued(ctx, stdio, opts.Dir, []string{opts.Mirror})
	if err == nil && n == 0 && opts.Name == "" {
		stdio.P.Fprintf(stdio.Out, "Nothing is queued for %s.\n", opts.Mirror)
	}
	return err
}

// removeMirror unsets mirror opts.Mirror of federation opts.Name in the
// scope's config: refused when it is not there, or is the only one.
func removeMirror(ctx context.Context, stdio IO, opts RemoveOptions) error {
	if err := checkName(opts.Name); err != nil {
		return err
	}
	sc := scope{Global: opts.Global, Dir: opts.Dir}
	if err := sc.check(ctx); err != nil {
		return err
	}
	key := "federation." + opts.Name + ".mirror"
	mirrors, err := sc.values(ctx, key)
	if err != nil {
		return err
	}
	switch {
	case !slices.Contains(mirrors, opts.Mirror):
		return &ExitError{Code: ExitUsage, Err: i18n.Errorf("%s is not a mirror of %q in the %s git config (its mirrors: %s)",
			opts.Mirror, opts.Name, sc, strings.Join(mirrors, ", "))}
	case len(mirrors) == 1:
		return &ExitError{Code: ExitUsage, Err: i18n.Errorf("%s is the only mirror of %q: remove the federation instead (`git federate remove %s%s`)",
			opts.Mirror, opts.Name, opts.Name, globalSuffix(sc))}
	}
	if err := sc.runner().Run(ctx, "config", sc.flag(), "--fixed-value", "--unset-all", "--", key, opts.Mirror); err != nil {
		return i18n.Errorf("removing mirror %s of %q: %w", opts.Mirror, opts.Name, err)
	}
	stdio.P.Fprintf(stdio.Out, "Removed mirror %s from %q in the %s git config.\n", opts.Mirror, opts.Name, sc)
	return nil
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
func dropQueued(ctx context.Context, stdio IO, dir string, mirrors []string) (int, error) {
	if len(mirrors) == 0 {
		return 0, nil
	}
	out, err := gitexec.Runner{Dir: dir}.Output(ctx, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return 0, nil
	}
	q := pending.Open(strings.TrimSpace(string(out)))
	dropped := 0
	for _, m := range mirrors {
		queued, err := q.ForMirror(m)
		if err != nil {
			return dropped, err
		}
		if len(queued) == 0 {
			continue
		}
		if err := q.RemoveMirror(ctx, m); err != nil {
			return dropped, i18n.Errorf("dropping the updates queued for %s: %w", m, err)
		}
		dropped += len(queued)
		stdio.P.Fprintf(stdio.Out, "Dropped %d update(s) queued for %s.\n", len(queued), m)
	}
	return dropped, nil
}
