package fedcmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/urfave/cli/v2"
)

// ImportGitblitOptions are the inputs of `git federate import-gitblit`.
type ImportGitblitOptions struct {
	File string
	// Repositories is where the mirrored repositories go (Gitblit's
	// git.repositoriesFolder); "" reads it from File.
	Repositories string
	DryRun       bool
	Local        bool   // write repository config instead of global
	Force        bool   // replace federationsets of the same names
	Dir          string // where git runs; "" is the current directory
}

// importGitblitCommand is `git federate import-gitblit`.
func importGitblitCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "import-gitblit",
		Usage:     "turn Gitblit federation pull registrations into federationset config",
		ArgsUsage: "<gitblit.properties>",
		Description: "Each registration federation.<name>.url of a Gitblit gitblit.properties becomes\n" +
			"[federationset \"<name>\"]: origin = url, mirror = <repositories>/<folder>, and\n" +
			"frequency, include, exclude as they are; mirror = true becomes force and prune.\n" +
			"The Gitblit token is never copied: log in with `git federate login <url>`.\n" +
			"Writes the global git config unless --local; --dry-run prints the config instead.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the git config it would write, write nothing"},
			&cli.StringFlag{Name: "repositories", Usage: "the `DIR` mirrors go to (default: git.repositoriesFolder of the file)"},
			&cli.BoolFlag{Name: "local", Usage: "write the repository's git config instead of the global one"},
			&cli.BoolFlag{Name: "force", Usage: "replace federationsets of the same names"},
		},
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 1, 1, "<gitblit.properties>"); err != nil {
				return err
			}
			return runImportGitblit(c.Context, stdio, ImportGitblitOptions{
				File: c.Args().First(), Repositories: c.String("repositories"),
				DryRun: c.Bool("dry-run"), Local: c.Bool("local"), Force: c.Bool("force"),
			})
		},
	}
}

// gitblitRegistration is one federation.<name>.* pull registration.
type gitblitRegistration struct {
	Name    string
	Entries []entry // git config to write, in order
	Notes   []i18n.Msg
}

func runImportGitblit(ctx context.Context, stdio IO, opts ImportGitblitOptions) error {
	f, err := os.Open(opts.File)
	if err != nil {
		return i18n.Errorf("reading Gitblit settings: %w", err)
	}
	props, err := parseProperties(f)
	f.Close()
	if err != nil {
		return i18n.Errorf("%s: %w", opts.File, err)
	}
	repos := opts.Repositories
	if repos == "" {
		repos = gitblitRepositoriesFolder(props, filepath.Dir(opts.File))
	}
	regs, notes, err := gitblitRegistrations(props, repos)
	if err != nil {
		return err
	}
	if len(regs) == 0 {
		return i18n.Errorf("%s has no federation pull registrations (federation.<name>.url)", opts.File)
	}
	if opts.DryRun {
		printGitblitConfig(stdio.Out, regs)
	} else if err := writeGitblit(ctx, stdio, opts, regs); err != nil {
		return err
	}
	for _, n := range notes {
		stdio.P.Fprintf(stdio.Err, "note: %s\n", n.Localize(stdio.P))
	}
	for _, r := range regs {
		for _, n := range r.Notes {
			stdio.P.Fprintf(stdio.Err, "note: %s: %s\n", r.Name, n.Localize(stdio.P))
		}
	}
	return nil
}

func writeGitblit(ctx context.Context, stdio IO, opts ImportGitblitOptions, regs []gitblitRegistration) error {
	sc := scope{Global: !opts.Local, Dir: opts.Dir}
	if err := sc.check(ctx); err != nil {
		return err
	}
	for _, r := range regs {
		exists, err := sc.hasSection(ctx, "federationset", r.Name)
		if err != nil {
			return err
		}
		if exists && !opts.Force {
			return i18n.Errorf("federationset %q is already in the %s config: rerun with --force to replace it, or --dry-run to see what would be written", r.Name, sc)
		}
	}
	for _, r := range regs {
		if _, err := sc.removeSection(ctx, "federationset", r.Name); err != nil {
			return err
		}
		for _, e := range r.Entries {
			if strings.HasPrefix(e.key, "federate.") {
				if have, _ := sc.runner().Output(ctx, "config", sc.flag(), "--get", "--", e.key); len(have) > 0 {
					continue // the host is already described
				}
			}
			if err := sc.add(ctx, e.key, e.value); err != nil {
				return i18n.Errorf("writing %s: %w", e.key, err)
			}
		}
		stdio.P.Fprintf(stdio.Out, "Imported Gitblit registration %q as federationset %q (%s config).\n", r.Name, r.Name, sc)
	}
	stdio.P.Fprintf(stdio.Out, "Next: `git federate login <url>` for each Gitblit server, then `git federate sync --all`.\n")
	return nil
}

// printGitblitConfig prints regs in git config file syntax.
func printGitblitConfig(w io.Writer, regs []gitblitRegistration) {
	section := ""
	for _, r := range regs {
		for _, e := range r.Entries {
			i, j := strings.IndexByte(e.key, '.'), strings.LastIndexByte(e.key, '.')
			head := fmt.Sprintf("[%s %s]", e.key[:i], strconv.Quote(e.key[i+1:j]))
			if head != section {
				fmt.Fprintln(w, head)
				section = head
			}
			fmt.Fprintf(w, "\t%s = %s\n", e.key[j+1:], e.value)
		}
	}
}

// gitblitRepositoriesFolder is git.repositoriesFolder, with ${baseFolder}
// and relative paths taken against the settings file's directory.
func gitblitRepositoriesFolder(props map[string]string, base string) string {
	v := strings.TrimSpace(props["git.repositoriesFolder"])
	if v == "" {
		v = "${baseFolder}/git"
	}
	v = strings.ReplaceAll(v, "${baseFolder}", base)
	if !filepath.IsAbs(v) {
		v = filepath.Join(base, v)
	}
	if abs, err := filepath.Abs(v); err == nil {
		v = abs
	}
	return filepath.Clean(v)
}

// gitblitRegistrations maps every federation.<name>.url registration.
func gitblitRegistrations(props map[string]string, repos string) ([]gitblitRegistration, []i18n.Msg, error) {
	var names []string
	for k := range props {
		if name, ok := strings.CutSuffix(strings.TrimPrefix(k, "federation."), ".url"); ok && strings.HasPrefix(k, "federation.") && name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var notes []i18n.Msg
	if props["federation.passphrase"] != "" {
		notes = append(notes, i18n.M("federation.passphrase is not imported; `git federate token --passphrase-stdin` prints the tokens it gives"))
	}
	if props["federation.sets"] != "" {
		notes = append(notes, i18n.M("federation.sets (sets this server offers to others) has no equivalent; skipped"))
	}
	var regs []gitblitRegistration
	var errs []error
	hosts := map[string]bool{}
	for _, name := range names {
		r, err := gitblitRegistrationOf(props, name, repos)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Describe each Gitblit host once, however many registrations use it.
		kept := r.Entries[:0]
		for _, e := range r.Entries {
			if strings.HasPrefix(e.key, "federate.") {
				if hosts[e.key] {
					continue
				}
				hosts[e.key] = true
			}
			kept = append(kept, e)
		}
		r.Entries = kept
		regs = append(regs, r)
	}
	return regs, notes, i18n.Join(errs...)
}

func gitblitRegistrationOf(props map[string]string, name, repos string) (gitblitRegistration, error) {
	get := func(k string) string { return strings.TrimSpace(props["federation."+name+"."+k]) }
	r := gitblitRegistration{Name: name}
	if err := checkName(name); err != nil {
		return r, i18n.Errorf("registration %q: %w", name, err)
	}
	url := strings.TrimSuffix(get("url"), "/")
	ep, err := federation.ParseEndpoint(url)
	if err != nil {
		return r, i18n.Errorf("federation.%s.url: %w", name, err)
	}
	p := "federationset." + name + "."
	add := func(k, v string) { r.Entries = append(r.Entries, entry{p + k, v}) }
	add("origin", url)
	folder := filepath.FromSlash(get("folder"))
	if folder != "" && !filepath.IsLocal(folder) {
		// Mirrors are created where this points: it must stay inside.
		return r, i18n.Errorf("federation.%s.folder %q leads outside the repositories folder %s", name, get("folder"), repos)
	}
	add("mirror", filepath.Join(repos, folder))
	for _, g := range strings.Fields(get("include")) {
		add("include", g)
	}
	for _, g := range strings.Fields(get("exclude")) {
		add("exclude", g)
	}
	freq := get("frequency")
	if freq == "" {
		freq = strings.TrimSpace(props["federation.defaultFrequency"])
	}
	if freq != "" {
		if _, err := federation.ParseFrequency(freq); err != nil {
			return r, i18n.Errorf("federation.%s.frequency: %w", name, err)
		}
		add("frequency", freq)
	}
	if b, _ := federation.ParseBool(get("mirror")); get("mirror") != "" && b {
		add("force", "true")
		add("prune", "true")
	}
	if ep.HTTP() {
		r.Entries = append(r.Entries, entry{"federate." + ep.HostURL() + ".forge", forge.Gitblit})
	}
	if get("token") != "" {
		r.Notes = append(r.Notes, i18n.M("its token is not copied into git config; store a token with `git federate login %s`", ep.HostURL()))
	}
	if b, err := federation.ParseBool(get("bare")); get("bare") != "" && err == nil && !b {
		r.Notes = append(r.Notes, i18n.M("bare = false is ignored: mirrors are always bare repositories"))
	}
	for _, k := range []string{"mergeAccounts", "sendStatus", "notifyOnError"} {
		if get(k) != "" {
			r.Notes = append(r.Notes, i18n.M("%s has no equivalent (accounts and status stay on Gitblit); skipped", k))
		}
	}
	return r, nil
}

// parseProperties reads a Java .properties file: '#' and '!' comments,
// "key = value", "key: value" or "key value", backslash continuation
// lines and escapes (\t \n \r \f \uXXXX).
func parseProperties(r io.Reader) (map[string]string, error) {
	props := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var logical strings.Builder
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if logical.Len() == 0 && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		if trailingBackslashes(line)%2 == 1 {
			logical.WriteString(line[:len(line)-1])
			continue
		}
		logical.WriteString(line)
		k, v := splitProperty(logical.String())
		props[k] = v
		logical.Reset()
	}
	if logical.Len() > 0 {
		k, v := splitProperty(logical.String())
		props[k] = v
	}
	return props, sc.Err()
}

func trailingBackslashes(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n
}

func splitProperty(line string) (key, value string) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	i = min(i, len(line))
	key, rest := line[:i], line[i:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	return unescapeProperty(key), unescapeProperty(rest)
}

func unescapeProperty(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 <= len(s) {
				if n, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
					b.WriteRune(rune(n))
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
