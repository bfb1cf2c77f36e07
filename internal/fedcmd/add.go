package fedcmd

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/urfave/cli/v2"
)

// AddOptions are the inputs of `git federate add`.
type AddOptions struct {
	Name    string
	Origin  string
	Mirrors []string
	Set     []string // key=value
	Global  bool
	Force   bool   // replace an existing federation of that name
	Dir     string // where git runs; "" is the current directory
	// Check asks each http(s) server, once the federation is written,
	// whether it will work (the CLI does unless --no-check).
	Check bool
	// Deps finds tokens and reaches forges for Check.
	Deps TokenDeps
}

// addCommand is `git federate add`.
func addCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:        "add",
		Usage:       "define a federation: an origin and its mirrors",
		ArgsUsage:   "<name> --origin URL --mirror URL... [--global] [--set key=value...]",
		Description: addDescription(stdio.P),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "origin", Usage: "the origin repository `URL`"},
			&cli.StringSliceFlag{Name: "mirror", Usage: "a mirror repository `URL` (repeat for more)"},
			&cli.StringSliceFlag{Name: "set", Usage: "set an option, `key=value` (repeat for more)"},
			&cli.BoolFlag{Name: "global", Usage: "write to the global git config instead of the repository's"},
			&cli.BoolFlag{Name: "force", Usage: "replace a federation of the same name in that config"},
			&cli.BoolFlag{Name: "no-check", Usage: "do not check the servers (reachable, repository there, token allowed)"},
		},
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 1, 1, "<name> --origin URL --mirror URL..."); err != nil {
				return err
			}
			return runAdd(c.Context, stdio, AddOptions{
				Name: c.Args().First(), Origin: c.String("origin"), Mirrors: c.StringSlice("mirror"),
				Set: c.StringSlice("set"), Global: c.Bool("global"), Force: c.Bool("force"),
				Check: !c.Bool("no-check"),
			})
		},
	}
}

// addDescription is the help text of add in p's language; the example
// and the key names are typed as they are in every language.
func addDescription(p *i18n.Printer) string {
	return p.Sprintf("Writes [federation \"<name>\"] to the repository's git config (or, with\n"+
		"--global, to ~/.gitconfig). Then `git clone federate::<name>` or\n"+
		"`git remote add <remote> federate::<name>` use it.\n\n") +
		p.Sprintf("   --set takes these keys:\n") + setKeysHelp(p) + "\n" +
		p.Sprintf("   Example:\n") +
		"     git federate add linkis --global \\\n" +
		"       --origin https://github.com/apache/linkis.git \\\n" +
		"       --mirror https://gitee.com/WeBankFinTech/linkis.git \\\n" +
		"       --set fetchFrom=nearest --set exclude=refs/heads/dependabot/*\n\n" +
		p.Sprintf("   Then each http(s) server is checked: reachable, repository there (or to be\n"+
			"   created by createMissing, which the token may do), token valid, token allowed\n"+
			"   to push where it must. A problem is a warning that says what to do; the\n"+
			"   federation is written anyway and add exits 3. --no-check skips the network.")
}

// setKeysHelp lists the keys --set takes, one per line with its doc.
func setKeysHelp(p *i18n.Printer) string {
	var b strings.Builder
	for _, name := range setKeys() {
		k, _ := federation.LookupKey(federation.SectionFederation, name)
		fmt.Fprintf(&b, "     %-15s %s\n", k.Name, k.DocMsg.Localize(p))
	}
	return b.String()
}

// entry is one git config key and value to write.
type entry struct{ key, value string }

// addEntries validates opts and returns what to write, in order.
func addEntries(opts AddOptions) ([]entry, error) {
	if err := checkName(opts.Name); err != nil {
		return nil, err
	}
	if opts.Origin == "" {
		return nil, UsageError("--origin URL is required. See 'git federate add --help'.")
	}
	if len(opts.Mirrors) == 0 {
		return nil, UsageError("at least one --mirror URL is required. See 'git federate add --help'.")
	}
	origin, err := federation.ParseEndpoint(opts.Origin)
	if err != nil {
		return nil, UsageError("--origin: %w", err)
	}
	prefix := "federation." + opts.Name + "."
	entries := []entry{{prefix + "origin", storedURL(origin)}}
	seen := []federation.Endpoint{origin}
	for _, m := range opts.Mirrors {
		ep, err := federation.ParseEndpoint(m)
		if err != nil {
			return nil, UsageError("--mirror: %w", err)
		}
		for _, s := range seen {
			if s.SameRepo(ep) {
				return nil, UsageError("--mirror %s: names the same repository as %s", m, s.Raw)
			}
		}
		seen = append(seen, ep)
		entries = append(entries, entry{prefix + "mirror", storedURL(ep)})
	}
	for _, kv := range opts.Set {
		key, value, err := checkOption(kv)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{prefix + key, value})
	}
	return entries, nil
}

// storedURL is the URL as written to config: a local path made absolute
// (against the current directory), since a relative one would name
// another repository, or none, from every other directory.
func storedURL(ep federation.Endpoint) string {
	if ep.Protocol == "file" && !strings.HasPrefix(ep.Raw, "file:") && !filepath.IsAbs(ep.Raw) {
		return ep.Path
	}
	return ep.Raw
}

func runAdd(ctx context.Context, stdio IO, opts AddOptions) error {
	entries, err := addEntries(opts)
	if err != nil {
		return err
	}
	sc := scope{Global: opts.Global, Dir: opts.Dir}
	if err := sc.check(ctx); err != nil {
		return err
	}
	exists, err := sc.hasSection(ctx, "federation", opts.Name)
	if err != nil {
		return err
	}
	if exists && !opts.Force {
		return i18n.Errorf("federation %q is already defined in the %s config: see it with `git federate list`, "+
			"then replace it with --force or delete it with `git federate remove %s%s`", opts.Name, sc, opts.Name, globalSuffix(sc))
	}
	if exists {
		// Show what is replaced, so nothing is lost that cannot be typed again.
		old, _ := sc.runner().Output(ctx, "config", sc.flag(), "--get-regexp", "^federation\\."+regexp.QuoteMeta(opts.Name)+"\\.")
		if _, err := sc.removeSection(ctx, "federation", opts.Name); err != nil {
			return i18n.Errorf("replacing federation %q: %w", opts.Name, err)
		}
		stdio.P.Fprintf(stdio.Out, "Replacing federation %q in the %s config; it was:\n", opts.Name, sc)
		for _, line := range strings.Split(strings.TrimSpace(string(old)), "\n") {
			fmt.Fprintf(stdio.Out, "  %s\n", line)
		}
	}
	for _, e := range entries {
		if err := sc.add(ctx, e.key, e.value); err != nil {
			// Leave no half-written federation behind.
			_, rerr := sc.removeSection(ctx, "federation", opts.Name)
			return i18n.Join(i18n.Errorf("writing %s: %w", e.key, err), rerr)
		}
	}
	printAdded(stdio, opts, sc)
	noteOtherScope(ctx, stdio, opts.Name, sc)
	// One read of the config as written serves the note and the check.
	d := opts.Deps
	if d.Dir == "" {
		d.Dir = opts.Dir
	}
	cfg, d, err := d.config(ctx)
	if cfg != nil {
		noteSameOrigin(stdio, opts, cfg)
	}
	if !opts.Check {
		return nil
	}
	if cfg == nil {
		return err
	}
	return checkAdded(ctx, stdio, opts.Name, cfg, d)
}

// checkAdded checks the servers of federation name, just written, and
// prints a warning per problem; any makes add exit 3.
func checkAdded(ctx context.Context, stdio IO, name string, cfg *federation.Config, d TokenDeps) error {
	f, err := cfg.Lookup(name)
	if err != nil {
		return err
	}
	warns := checkFederation(ctx, d, cfg, f)
	for _, w := range warns {
		stdio.P.Fprintf(stdio.Err, "warning: %s\n", w.Localize(stdio.P))
	}
	if len(warns) > 0 {
		return Partial(errChecksWarned)
	}
	return nil
}

// noteOtherScope warns when the name is also defined in the other scope:
// git merges the two, and the repository's single values win.
func noteOtherScope(ctx context.Context, stdio IO, name string, sc scope) {
	other := scope{Global: !sc.Global, Dir: sc.Dir}
	if other.check(ctx) != nil {
		return
	}
	if ok, _ := other.hasSection(ctx, "federation", name); ok {
		stdio.P.Fprintf(stdio.Err, "warning: federation %q is also defined in the %s config; git merges both "+
			"(mirrors add up, the repository's other values win): see `git federate list`\n", name, other)
	}
}

// noteSameOrigin warns when another federation of cfg has the origin
// just written: both are meant sometimes (another set of refs, other
// mirrors), but federate::<origin URL> then names neither, where it named
// the first.
func noteSameOrigin(stdio IO, opts AddOptions, cfg *federation.Config) {
	ep, err := federation.ParseEndpoint(opts.Origin)
	if err != nil {
		return
	}
	var others []string
	for _, f := range cfg.WithOrigin(ep) {
		if f.Name != opts.Name {
			others = append(others, f.Name)
		}
	}
	if len(others) > 0 {
		stdio.P.Fprintf(stdio.Err, "warning: %s is also the origin of %s; federate::%s will not choose between them: name the federation (federate::%s)\n",
			opts.Origin, strings.Join(others, ", "), opts.Origin, opts.Name)
	}
}

// tokenHosts is each http(s) host of the federation, in order: where a
// token may be needed (ssh uses keys; git:// and paths take none).
func tokenHosts(opts AddOptions) []string {
	var hosts []string
	for _, raw := range append([]string{opts.Origin}, opts.Mirrors...) {
		ep, err := federation.ParseEndpoint(raw)
		if err == nil && ep.HTTP() && !slices.Contains(hosts, ep.HostURL()) {
			hosts = append(hosts, ep.HostURL())
		}
	}
	return hosts
}

func globalSuffix(sc scope) string {
	if sc.Global {
		return " --global"
	}
	return ""
}

func printAdded(stdio IO, opts AddOptions, sc scope) {
	w := stdio.Out
	stdio.P.Fprintf(w, "Added federation %q to the %s git config:\n", opts.Name, sc)
	fmt.Fprintf(w, "  origin  %s\n", opts.Origin)
	for _, m := range opts.Mirrors {
		fmt.Fprintf(w, "  mirror  %s\n", m)
	}
	stdio.P.Fprintf(w, "Next:\n")
	step := func(cmd, why string) { fmt.Fprintf(w, "  %-44s # %s\n", cmd, why) }
	if sc.Global {
		step("git clone federate::"+opts.Name, stdio.P.Sprintf("a new working copy"))
	}
	step("git remote add "+opts.Name+" federate::"+opts.Name, stdio.P.Sprintf("or: git remote set-url origin federate::%s", opts.Name))
	for _, host := range tokenHosts(opts) {
		step("git federate login "+host, stdio.P.Sprintf("once per host that needs a token"))
	}
	step("git federate status "+opts.Name, stdio.P.Sprintf("compare origin and mirrors"))
}
