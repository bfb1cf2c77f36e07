package fedcmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"

	"github.com/urfave/cli/v2"
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
			"--global from the global one. Repositories and tokens are not touched.",
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
	for _, section := range []string{"federation", "federationset"} {
		removed, err := sc.removeSection(ctx, section, opts.Name)
		if err != nil {
			return fmt.Errorf("removing %s %q: %w", section, opts.Name, err)
		}
		if removed {
			fmt.Fprintf(stdio.Out, "Removed %s %q from the %s git config.\n", section, opts.Name, sc)
			return nil
		}
	}
	hint := "see `git federate list`"
	if cfg, _ := federation.Load(ctx, "", opts.Dir); cfg != nil {
		if near := federation.DidYouMean(opts.Name, cfg.DefinedNames()); near != "" {
			hint = strings.TrimPrefix(near, "; ")
		}
	}
	other := scope{Global: !opts.Global, Dir: opts.Dir}
	if other.check(ctx) == nil {
		if ok, _ := other.hasSection(ctx, "federation", opts.Name); ok {
			hint = fmt.Sprintf("it is in the %s config: run `git federate remove %s%s`", other, opts.Name, globalSuffix(other))
		}
	}
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf("no federation %q in the %s git config; %s", opts.Name, sc, hint)}
}
