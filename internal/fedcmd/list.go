package fedcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/urfave/cli/v2"
)

// ListOptions are the inputs of `git federate list`.
type ListOptions struct {
	JSON bool
	Dir  string // where git runs; "" is the current directory
}

// Listed is one federation or federationset as `list --json` shows it.
type Listed struct {
	Name string `json:"name"`
	// Kind is "federation" or "federationset".
	Kind string `json:"kind"`
	// Scope is where git config defines it: "local", "global", "system",
	// or several joined by "+" when its keys are spread out.
	Scope   string   `json:"scope"`
	Origin  string   `json:"origin"`
	Mirrors []string `json:"mirrors"`
	// Options are the keys set explicitly, spelled as `git federate add
	// --help` lists them; include and exclude are lists, the rest single
	// strings.
	Options map[string]any `json:"options"`
}

// listCommand is `git federate list`.
func listCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "list",
		Aliases:   []string{"ls"},
		Usage:     "show every federation and federationset in git config",
		ArgsUsage: "[--json]",
		Description: "Shows each federation with its origin, mirrors, the options set explicitly\n" +
			"and the config scope that defines it (local, global, system).",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 0, 0, "[--json]"); err != nil {
				return err
			}
			return runList(c.Context, stdio, ListOptions{JSON: c.Bool("json")})
		},
	}
}

func runList(ctx context.Context, stdio IO, opts ListOptions) error {
	items, cfgErr, err := listFederations(ctx, opts.Dir)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if items == nil {
			items = []Listed{}
		}
		if err := enc.Encode(items); err != nil {
			return err
		}
	} else {
		printList(stdio, items)
	}
	if cfgErr != nil {
		return i18n.Errorf("git config has problems, fix them with `git config --edit` (add --global for ~/.gitconfig):\n%w", cfgErr)
	}
	return nil
}

func printList(stdio IO, items []Listed) {
	w := stdio.Out
	if len(items) == 0 {
		stdio.P.Fprintf(w, "No federations. Define one with `git federate add <name> --origin URL --mirror URL`.\n")
		return
	}
	for i, it := range items {
		if i > 0 {
			fmt.Fprintln(w)
		}
		kind := ""
		if it.Kind != "federation" {
			kind = " " + it.Kind
		}
		fmt.Fprintf(w, "%s%s (%s)\n", it.Name, kind, it.Scope)
		fmt.Fprintf(w, "  origin  %s\n", it.Origin)
		for _, m := range it.Mirrors {
			fmt.Fprintf(w, "  mirror  %s\n", m)
		}
		keys := make([]string, 0, len(it.Options))
		for k := range it.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch v := it.Options[k].(type) {
			case []string:
				for _, s := range v {
					fmt.Fprintf(w, "  %s = %s\n", k, s)
				}
			default:
				fmt.Fprintf(w, "  %s = %v\n", k, v)
			}
		}
	}
}

// listFederations reads every federation and federationset with the
// scope of its keys. cfgErr reports invalid config (what
// federation.Parse refuses); err means git config could not be read.
func listFederations(ctx context.Context, dir string) (items []Listed, cfgErr, err error) {
	entries, err := gitexec.Runner{Dir: dir, Timeout: federation.LoadTimeout}.ConfigRegexp(ctx, `^(federation|federationset)\.`, true)
	if err != nil {
		return nil, nil, i18n.Errorf("reading git config: %w", err)
	}
	byID := map[string]*Listed{}
	var order []string
	for _, e := range entries {
		section, name, key, ok := federation.SplitKey(e.Key)
		if !ok {
			continue
		}
		id := section + "\x00" + name
		it := byID[id]
		if it == nil {
			it = &Listed{Name: name, Kind: section, Options: map[string]any{}}
			byID[id] = it
			order = append(order, id)
		}
		it.apply(e.Scope, key, e.Value)
	}
	for _, id := range order {
		items = append(items, *byID[id])
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].Kind != items[j].Kind {
			return items[i].Kind < items[j].Kind
		}
		return items[i].Name < items[j].Name
	})
	_, cfgErr = federation.Parse(entries)
	return items, cfgErr, nil
}

// apply records one config key of the section, in git's order: later
// single values win, an empty value resets a list.
func (it *Listed) apply(sc, key, v string) {
	if !strings.Contains("+"+it.Scope+"+", "+"+sc+"+") {
		if it.Scope == "" {
			it.Scope = sc
		} else {
			it.Scope += "+" + sc
		}
	}
	v = federation.MaskURL(v) // list shows config as written, credentials masked
	switch key {
	case "origin":
		it.Origin = v
		return
	case "mirror":
		if v == "" {
			it.Mirrors = nil
		} else {
			it.Mirrors = append(it.Mirrors, v)
		}
		return
	}
	name, multi := key, false
	if k, ok := federation.LookupKey(it.Kind, key); ok {
		name, multi = k.Name, k.Multi
	}
	if multi {
		list, _ := it.Options[name].([]string)
		if v == "" {
			delete(it.Options, name)
			return
		}
		it.Options[name] = append(list, v)
		return
	}
	it.Options[name] = v
}
