package fedcmd

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/urfave/cli/v2"
)

// manCommand is `git federate man [page]`: a manual page in roff, made
// from the same command definitions the CLI runs, so the two cannot
// drift. git turns `git federate --help` into `man git-federate`;
// install.sh installs both pages where man finds them.
func manCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "man",
		Usage:     "print a manual page in roff: git-federate(1) (the default) or git-remote-federate(1)",
		ArgsUsage: "[git-federate|git-remote-federate]",
		Description: "install.sh installs both pages under PREFIX/share/man/man1, where\n" +
			"`git federate --help` and `git help federate` find them. By hand:\n" +
			"     mkdir -p ~/.local/share/man/man1\n" +
			"     git federate man > ~/.local/share/man/man1/git-federate.1",
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 0, 1, "[git-federate|git-remote-federate]"); err != nil {
				return err
			}
			switch page := c.Args().First(); page {
			case "", "git-federate":
				// The manual pages are English documentation, like the
				// manual, whatever language the installer's shell speaks.
				return writeFederateMan(stdio.Out, NewApp(IO{}))
			case "git-remote-federate":
				return writeHelperMan(stdio.Out)
			default:
				return UsageError("no manual page %q: use git-federate or git-remote-federate", page)
			}
		},
	}
}

// ConfigKey is one git config key the program reads, for the manual.
type ConfigKey struct {
	Name, Doc string
}

// configKeys lists the git config keys, in the manual's order: the
// federation key table, then git's own key this program reads.
func configKeys() []ConfigKey {
	var keys []ConfigKey
	fedDoc := map[string]string{}
	for _, k := range federation.Keys() {
		if k.Section == federation.SectionFederation {
			fedDoc[k.Name] = k.Doc
		}
		if k.Section == federation.SectionSet && fedDoc[k.Name] == k.Doc {
			continue // an option shared with federations, documented there
		}
		keys = append(keys, ConfigKey{Name: k.Section + "." + subsection(k.Section) + "." + k.Name, Doc: manDoc(k)})
	}
	return append(keys, ConfigKey{"credential.<url>.username", "git's own key: the account name to use on that host (Gitee needs the real one)."})
}

// subsection is how the manual names the subsection of section.
func subsection(section string) string {
	if section == federation.SectionHost {
		return "<url>"
	}
	return "<name>"
}

// manDoc is a key's one-line doc as a sentence, with its default and
// whether it repeats.
func manDoc(k federation.ConfigKey) string {
	doc := strings.ToUpper(k.Doc[:1]) + k.Doc[1:] + "."
	if k.Multi {
		doc += " Multi-valued."
	}
	if k.Default != "" {
		doc += " Default: " + k.Default + "."
	}
	return doc
}

// EnvVar is one environment variable the program reads.
type EnvVar struct {
	Name, Doc string
}

// envVars lists the environment variables, in the manual's order.
func envVars() []EnvVar {
	return []EnvVar{
		{"FEDERATE_TOKEN_<HOST>", "The token for HOST (host[:port] upper-cased, . and : as _, - as __), e.g. FEDERATE_TOKEN_GITEE_COM. Looked up first."},
		{"GH_TOKEN, GITHUB_TOKEN", "The token for github.com."},
		{"GITLAB_TOKEN", "The token for a GitLab host."},
		{"GITEE_TOKEN", "The token for gitee.com."},
		{"FEDERATE_KEYRING", "off: do not use the OS keyring."},
		{"FEDERATE_WEBHOOK_SECRET", "The shared secret of serve, when --secret-file is not given."},
		{"JOB_COMPLETION_INDEX", "Fills K of sync --shard K/N under a Kubernetes Indexed Job."},
		{"XDG_DATA_HOME", "Where sync keeps its bare caches: $XDG_DATA_HOME/git-federate/<name>.git (default ~/.local/share)."},
	}
}

// exitStatuses are the documented exit statuses.
func exitStatuses() [][2]string {
	return [][2]string{
		{"0", "Success."},
		{"1", "Failure."},
		{"2", "Usage error: an unknown command, flag or name, or a missing argument."},
		{"3", "Partial: some mirrors failed or kept a diverged ref, the rest is done."},
	}
}

// roff writes a manual page, escaping text so that nothing a command's
// help says is read as a roff request or escape.
type roff struct {
	w   io.Writer
	err error
}

func (r *roff) raw(format string, a ...any) {
	if r.err == nil {
		_, r.err = fmt.Fprintf(r.w, format, a...)
	}
}

// text writes lines of running text.
func (r *roff) text(s string) {
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.TrimSpace(line) == "" {
			r.raw(".PP\n")
			continue
		}
		r.raw("%s\n", esc(strings.TrimRight(line, " ")))
	}
}

// esc escapes backslashes, hyphens, a leading control character and
// non-ASCII characters.
func esc(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	// troff reads bytes; a non-ASCII character is written as its code
	// point so the page renders the same whatever the locale.
	var b strings.Builder
	for _, c := range s {
		if c < 0x80 {
			b.WriteRune(c)
		} else {
			fmt.Fprintf(&b, `\[u%04X]`, c)
		}
	}
	return b.String()
}

func (r *roff) header(name, title string) {
	r.raw(".TH \"%s\" \"1\" \"\" \"git-remote-federate %s\" \"Git Manual\"\n", strings.ToUpper(name), esc(readBuildInfoVersion()))
	r.raw(".SH NAME\n%s \\- %s\n", esc(name), esc(title))
}

// readBuildInfoVersion is the version for a page's footer; no git call.
func readBuildInfoVersion() string {
	if version != "" {
		return version
	}
	return "devel"
}

func writeFederateMan(w io.Writer, app *cli.App) error {
	r := &roff{w: w}
	r.header("git-federate", app.Usage)
	r.raw(".SH SYNOPSIS\n.B git federate\n.I command\n[options] [arguments]\n")
	r.raw(".SH DESCRIPTION\n")
	r.text(app.Description)
	r.raw(".SH COMMANDS\n")
	for _, c := range app.VisibleCommands() {
		writeCommand(r, c)
	}
	r.raw(".SH CONFIGURATION\nFederations live in git config, in any scope (system, global, repository), with git's own precedence.\n")
	for _, k := range configKeys() {
		r.raw(".TP\n.B %s\n", esc(k.Name))
		r.text(k.Doc)
	}
	r.raw(".SH ENVIRONMENT\n")
	for _, e := range envVars() {
		r.raw(".TP\n.B %s\n", esc(e.Name))
		r.text(e.Doc)
	}
	r.raw(".SH EXIT STATUS\n")
	for _, s := range exitStatuses() {
		r.raw(".TP\n.B %s\n", s[0])
		r.text(s[1])
	}
	r.raw(".SH SEE ALSO\n.BR git\\-remote\\-federate (1),\n.BR git\\-credential (1),\n.BR gitremote\\-helpers (7)\n")
	return r.err
}

func writeCommand(r *roff, c *cli.Command) {
	r.raw(".SS %s\n", esc(strings.TrimSpace("git federate "+c.Name+" "+c.ArgsUsage)))
	r.text(c.Usage)
	if c.Description != "" {
		r.raw(".PP\n.nf\n")
		for _, line := range strings.Split(strings.TrimSpace(c.Description), "\n") {
			r.raw("%s\n", esc(line))
		}
		r.raw(".fi\n")
	}
	flags := append([]cli.Flag(nil), c.Flags...)
	sort.SliceStable(flags, func(i, j int) bool { return flags[i].Names()[0] < flags[j].Names()[0] })
	for _, f := range flags {
		r.raw(".TP\n.B %s\n", esc(flagSpelling(f)))
		if d, ok := f.(cli.DocGenerationFlag); ok {
			_, usage := unquoteUsage(d.GetUsage())
			r.text(usage)
		}
	}
}

// flagSpelling is how a flag is typed, its value named as the usage's
// backquoted word names it: "--origin URL".
func flagSpelling(f cli.Flag) string {
	value := ""
	if d, ok := f.(cli.DocGenerationFlag); ok && d.TakesValue() {
		name, _ := unquoteUsage(d.GetUsage())
		if name == "" {
			name = "value"
		}
		value = " " + name
	}
	var names []string
	for _, n := range f.Names() {
		if len(n) == 1 {
			names = append(names, "-"+n+value)
		} else {
			names = append(names, "--"+n+value)
		}
	}
	return strings.Join(names, ", ")
}

func writeHelperMan(w io.Writer) error {
	r := &roff{w: w}
	r.header("git-remote-federate", "the remote helper for federate:: URLs")
	r.raw(".SH SYNOPSIS\n.B git clone federate::\\fIname\\fR\n.br\n.B git clone federate::\\fIorigin-url\\fR\n.br\n.B git-remote-federate\n.I remote url\n")
	r.raw(".SH DESCRIPTION\n")
	r.text(`git runs git-remote-federate for every URL that starts with federate::, with GIT_DIR set.
It speaks the remote-helper protocol on its standard input and output; everything meant
for a person goes to standard error. A fetch or clone reads from the origin (from a mirror
when the origin is unreachable and failover is on); a push updates the origin, then every mirror.`)
	r.raw(".SH URL FORMS\n")
	r.raw(".TP\n.B federate::<name>\n")
	r.text("The federation <name> defined in git config (federation.<name>.origin and .mirror).")
	r.raw(".TP\n.B federate::<origin\\-url>\n")
	r.text(`That origin; the mirrors come from a federation whose origin equals this URL
(compared after normalising scheme, host case, default port and a trailing .git), else none.`)
	r.raw(".PP\n")
	r.text(`Origin and mirror URLs may be https, http, ssh (ssh:// and user@host:path), git, file or a
local path. ext:: and fd:: are refused, and so is any URL or host that starts with a dash.`)
	r.raw(".SH SEE ALSO\n.BR git\\-federate (1),\n.BR gitremote\\-helpers (7)\n")
	return r.err
}

// unquoteUsage splits a flag's usage the way urfave's help does: the first
// backquoted word names the value, and loses its quotes in the text.
func unquoteUsage(usage string) (name, text string) {
	before, rest, ok := strings.Cut(usage, "`")
	if !ok {
		return "", usage
	}
	name, after, ok := strings.Cut(rest, "`")
	if !ok {
		return "", usage
	}
	return name, before + name + after
}
