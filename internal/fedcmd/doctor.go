package fedcmd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/keystore"
	"github.com/urfave/cli/v2"
	"golang.org/x/sync/errgroup"
)

// DoctorOptions are the inputs of `git federate doctor`; the functions
// default to the real machine and are replaced in tests.
type DoctorOptions struct {
	Dir string // where git runs; "" is the current directory
	// Exe is this program, which child gits call back for credentials;
	// "" is os.Executable().
	Exe      string
	Getenv   func(string) string
	LookPath func(string) (string, error)
	// Keyring probes the OS keyring: a description when reachable.
	Keyring func(ctx context.Context) (string, error)
	// Timeout bounds each network check (default 20 s).
	Timeout time.Duration
}

// Check is one line of the doctor's report.
type Check struct {
	Name   string
	Status string // ok, warn, fail or hint
	Detail string
	Fix    string
}

// Statuses of a Check.
const (
	CheckOK   = "ok"
	CheckWarn = "warn"
	CheckFail = "fail"
	CheckHint = "hint"
)

// ErrKeyringOff is what the keyring probe reports when the keyring is not
// used on purpose.
var ErrKeyringOff = i18n.Errorf("keyring disabled")

// doctorCommand is `git federate doctor`.
func doctorCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "check git, PATH, keyring, tokens and config; say what to fix",
		Description: "Checks the git version, that git-remote-federate, git-federate and\n" +
			"git-credential-federate are on PATH, whether the OS keyring is reachable,\n" +
			"where each configured host's token comes from and whether it works\n" +
			"(the forge's API, or git ls-remote of a configured repository), whether it has\n" +
			"the scopes the configuration needs there, that the federation config\n" +
			"parses, whether git's protocol policy (protocol.<scheme>.allow,\n" +
			"protocol.allow, GIT_ALLOW_PROTOCOL) forbids a protocol the federations use,\n" +
			"and whether many federations sit in the global config, which\n" +
			"every git process a sync starts reads. Exits 1 when a check fails.",
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 0, 0, ""); err != nil {
				return err
			}
			return runDoctor(c.Context, stdio, DoctorOptions{})
		},
	}
}

func (o *DoctorOptions) defaults() {
	if o.Getenv == nil {
		o.Getenv = gitexec.Getenv(nil)
	}
	if o.LookPath == nil {
		o.LookPath = exec.LookPath
	}
	if o.Exe == "" {
		o.Exe, _ = os.Executable()
	}
	if o.Keyring == nil {
		o.Keyring = func(ctx context.Context) (string, error) { return probeKeyring(ctx, o.Getenv) }
	}
	if o.Timeout == 0 {
		o.Timeout = 20 * time.Second
	}
}

func runDoctor(ctx context.Context, stdio IO, opts DoctorOptions) error {
	opts.defaults()
	var checks []Check
	checks = append(checks, checkGit(ctx, opts))
	checks = append(checks, checkPath(stdio.P, opts)...)
	checks = append(checks, checkProtocolAllow(ctx, opts))
	checks = append(checks, checkKeyring(ctx, opts))
	cfg, cfgCheck := checkConfig(ctx, opts)
	checks = append(checks, cfgCheck)
	if c, ok := checkWhereFederationsLive(ctx, opts); ok {
		checks = append(checks, c)
	}
	checks = append(checks, checkSharedOrigins(stdio.P, cfg)...)
	checks = append(checks, checkProtocolPolicy(ctx, opts, cfg)...)
	checks = append(checks, checkTokens(ctx, opts, cfg)...)
	checks = append(checks, checkPlainServers(ctx, opts, cfg)...)
	failed := 0
	for _, c := range checks {
		fmt.Fprintf(stdio.Out, "%s %s", pad(statusLabel(stdio.P, c.Status), 5), c.Name)
		if c.Detail != "" {
			stdio.P.Fprintf(stdio.Out, ": %s", strings.ReplaceAll(strings.TrimSpace(c.Detail), "\n", "\n      "))
		}
		fmt.Fprintln(stdio.Out)
		if c.Fix != "" {
			stdio.P.Fprintf(stdio.Out, "      fix: %s\n", c.Fix)
		}
		if c.Status == CheckFail {
			failed++
		}
	}
	if failed > 0 {
		return i18n.Errorf("%d check(s) failed; fix what is listed above and run `git federate doctor` again", failed)
	}
	return nil
}

// statusLabel is the label of a check's line in p's language.
func statusLabel(p *i18n.Printer, status string) string {
	switch status {
	case CheckOK:
		return p.Sprintf("OK")
	case CheckWarn:
		return p.Sprintf("WARN")
	case CheckFail:
		return p.Sprintf("FAIL")
	case CheckHint:
		return p.Sprintf("HINT")
	}
	return strings.ToUpper(status)
}

// gitVersionRE reads `git version`; compiled at first use.
var gitVersionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`git version (\d+)\.(\d+)`) })

func checkGit(ctx context.Context, opts DoctorOptions) Check {
	p := i18n.From(ctx)
	c := Check{Name: "git"}
	out, err := gitexec.Runner{Dir: opts.Dir, Timeout: opts.Timeout}.Output(ctx, "version")
	if err != nil {
		c.Status, c.Detail, c.Fix = CheckFail, p.Error(err), p.Sprintf("install git 2.39 or later")
		return c
	}
	c.Detail = strings.TrimSpace(string(out))
	m := gitVersionRE().FindStringSubmatch(c.Detail)
	if m == nil {
		c.Status = CheckWarn
		return c
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	switch v := major*1000 + minor; {
	case v < 2031:
		// GIT_CONFIG_COUNT, which keeps tokens out of argv, is 2.31+.
		c.Status, c.Fix = CheckFail, p.Sprintf("install git 2.39 or later (2.31 at the very least)")
	case v < 2039:
		c.Status, c.Fix = CheckWarn, p.Sprintf("git older than 2.39 is untested; upgrade if anything misbehaves")
	default:
		c.Status = CheckOK
	}
	return c
}

func checkPath(pr *i18n.Printer, opts DoctorOptions) []Check {
	var checks []Check
	for _, name := range []string{"git-remote-federate", "git-federate", "git-credential-federate"} {
		p, err := opts.LookPath(name)
		if err != nil {
			checks = append(checks, Check{Name: pr.Sprintf("%s on PATH", name), Status: CheckFail, Detail: pr.Sprintf("not found"),
				Fix: pr.Sprintf("install all three names (./install.sh, or `go install ./cmd/...` with $(go env GOPATH)/bin on PATH)")})
			continue
		}
		checks = append(checks, Check{Name: pr.Sprintf("%s on PATH", name), Status: CheckOK, Detail: p})
	}
	return checks
}

func checkProtocolAllow(ctx context.Context, opts DoctorOptions) Check {
	out, _ := gitexec.Runner{Dir: opts.Dir, Timeout: opts.Timeout}.Output(ctx, "config", "--get", "protocol.federate.allow")
	v := strings.TrimSpace(string(out))
	p := i18n.From(ctx)
	if v == "always" {
		return Check{Name: "protocol.federate.allow", Status: CheckOK, Detail: p.Sprintf("always (submodules may use federate:: URLs)")}
	}
	if v == "" {
		v = p.Sprintf("unset")
	}
	return Check{Name: "protocol.federate.allow", Status: CheckHint,
		Detail: p.Sprintf("%s: git refuses federate:: URLs in submodules", v),
		Fix:    p.Sprintf("git config --global protocol.federate.allow always   # only if submodules use federate::")}
}

func checkKeyring(ctx context.Context, opts DoctorOptions) Check {
	p := i18n.From(ctx)
	c := Check{Name: p.Sprintf("OS keyring")}
	desc, err := opts.Keyring(ctx)
	switch {
	case errors.Is(err, ErrKeyringOff):
		c.Status, c.Detail = CheckWarn, p.Error(err)
		c.Fix = p.Sprintf("tokens then come only from FEDERATE_TOKEN_<HOST> variables and git credential helpers")
	case err != nil:
		c.Status, c.Detail = CheckWarn, p.Error(err)
		c.Fix = p.Sprintf("`git federate login` cannot store tokens; use FEDERATE_TOKEN_<HOST>, or start a Secret Service (gnome-keyring-daemon) in a D-Bus session")
	default:
		c.Status, c.Detail = CheckOK, desc
	}
	return c
}

// probeKeyring checks that the OS keyring answers: the same availability
// rules the token chain uses, then one lookup of a key nobody stores, which
// must come back "not found" within the keyring's time limit.
func probeKeyring(ctx context.Context, getenv func(string) string) (string, error) {
	kr := keystore.Keyring{Getenv: getenv}
	if err := kr.Available(); err != nil {
		if v := getenv("FEDERATE_KEYRING"); v != "" {
			return "", i18n.Errorf("%w: %w", ErrKeyringOff, err)
		}
		return "", err
	}
	_, err := kr.Get(ctx, keystore.Key{Protocol: "https", Host: "federate-doctor.invalid"})
	if err == nil || errors.Is(err, keystore.ErrNotFound) {
		return keystore.KeyringService + " keyring reachable (" + runtime.GOOS + ")", nil
	}
	return "", err
}

func checkConfig(ctx context.Context, opts DoctorOptions) (*federation.Config, Check) {
	p := i18n.From(ctx)
	c := Check{Name: p.Sprintf("federation config")}
	cfg, err := federation.Load(ctx, "", opts.Dir)
	var ce *federation.ConfigError
	switch {
	case errors.As(err, &ce):
		c.Status, c.Detail, c.Fix = CheckFail, p.Error(err), p.Sprintf("repair the config file git names above")
		return nil, c
	case err != nil:
		c.Status, c.Detail = CheckFail, strings.ReplaceAll(p.Error(err), "\n", "; ")
		c.Fix = p.Sprintf("git config --edit (or --global --edit), or `git federate remove <name>` and add it again")
	case len(cfg.Federations)+len(cfg.Sets) == 0:
		c.Status, c.Detail = CheckHint, p.Sprintf("no federations defined")
		c.Fix = "git federate add <name> --origin URL --mirror URL"
	default:
		c.Status, c.Detail = CheckOK, p.Sprintf("%d federation(s), %d federationset(s)", len(cfg.Federations), len(cfg.Sets))
	}
	return cfg, c
}

// checkSharedOrigins warns for each origin more than one federation has:
// federate::<that origin> names none of them (federation.Config.Resolve).
func checkSharedOrigins(p *i18n.Printer, cfg *federation.Config) []Check {
	if cfg == nil {
		return nil
	}
	var checks []Check
	for _, names := range cfg.SharedOrigins() {
		origin := cfg.Federations[names[0]].Origin.Raw
		checks = append(checks, Check{Name: p.Sprintf("origin %s", origin), Status: CheckWarn,
			Detail: p.Sprintf("the origin of federations %s: federate::%s names none of them", strings.Join(names, ", "), origin),
			Fix:    p.Sprintf("use federate::<name> as the remote, or remove the federation not meant (git federate remove <name>)")})
	}
	return checks
}

// manyGlobalFederations is how many federations in the global or system
// config make doctor suggest a repository's config instead.
const manyGlobalFederations = 200

// checkProtocolPolicy fails for each of http and https that the
// federations' servers use and git's protocol policy forbids
// (httpx.ProtocolAllowed, the rule every fetch, push and sync follows):
// each of them would be refused.
func checkProtocolPolicy(ctx context.Context, opts DoctorOptions, cfg *federation.Config) []Check {
	if cfg == nil {
		return nil
	}
	uses := map[string]int{}
	for _, name := range cfg.Names() {
		f := cfg.Federations[name]
		for _, e := range f.Servers() {
			uses[e.Protocol]++
		}
	}
	entries, err := gitexec.Runner{Dir: opts.Dir, Timeout: opts.Timeout}.ConfigRegexp(ctx, `^protocol\.`, false)
	if err != nil {
		return nil // checkConfig says why
	}
	p := i18n.From(ctx)
	var checks []Check
	for _, scheme := range []string{"http", "https"} {
		if uses[scheme] == 0 || httpx.ProtocolAllowed(entries, opts.Getenv, scheme) {
			continue
		}
		checks = append(checks, Check{Name: p.Sprintf("git's protocol policy"), Status: CheckFail,
			Detail: p.Sprintf("git may not use %s, which %d server(s) of the federations use: every fetch, push and sync of them is refused", scheme, uses[scheme]),
			Fix:    p.Sprintf("git config --global protocol.%s.allow always   # or remove what forbids it: protocol.allow, GIT_ALLOW_PROTOCOL", scheme)})
	}
	return checks
}

// checkWhereFederationsLive hints at a repository's config when the
// global or system config holds many federations: every git process
// reads those files, twice, and a sync starts dozens (34 measured) for
// each federation that changed (docs/operations.md, "Where the federations
// live"). ok is false when there is nothing to say.
func checkWhereFederationsLive(ctx context.Context, opts DoctorOptions) (c Check, ok bool) {
	items, _, err := listFederations(ctx, opts.Dir)
	if err != nil {
		return c, false // checkConfig says why
	}
	n := 0
	for _, it := range items {
		if it.Kind == "federation" && (strings.Contains(it.Scope, "global") || strings.Contains(it.Scope, "system")) {
			n++
		}
	}
	if n < manyGlobalFederations {
		return c, false
	}
	p := i18n.From(ctx)
	return Check{Name: p.Sprintf("where the federations live"), Status: CheckHint,
		Detail: p.Sprintf("%d federations are in the global or system config, which every git process reads twice; a sync starts dozens of them for each federation that changed", n),
		Fix:    p.Sprintf("keep them in the config of a repository made for them and run sync there (docs/operations.md, \"Where the federations live\")")}, true
}

// checkTokens runs auth's check for every configured host and words the
// results as doctor lines.
func checkTokens(ctx context.Context, opts DoctorOptions, cfg *federation.Config) []Check {
	if cfg == nil {
		return nil
	}
	deps := TokenDeps{Getenv: opts.Getenv, Exe: opts.Exe, Dir: opts.Dir, GitTimeout: opts.Timeout}
	deps.Tokens = serverTokens(deps, cfg)
	// The forges' APIs are asked as git reaches their repositories.
	if entries, err := httpx.ReadConfig(ctx, gitexec.Runner{Dir: opts.Dir, Timeout: opts.Timeout}, false); err == nil {
		deps.HTTPSettings = httpx.ResolverOf(entries, opts.Getenv)
	}
	var checks []Check
	p := i18n.From(ctx)
	needs := hostNeeds(cfg)
	for _, h := range configuredHosts(cfg) {
		h.needs = needs[h.ep.HostURL()]
		checks = append(checks, hostCheck(p, checkHost(ctx, deps, cfg, h), opts.Getenv))
	}
	names := cfg.Names()
	warns := make([][]i18n.Msg, len(names))
	var g errgroup.Group
	g.SetLimit(doctorJobs)
	for i, name := range names {
		g.Go(func() error {
			warns[i] = checkFederation(ctx, deps, cfg, cfg.Federations[name])
			return nil
		})
	}
	_ = g.Wait() // each federation's problems are its own lines
	for i, name := range names {
		checks = append(checks, serversCheck(p, name, warns[i]))
	}
	for _, h := range otherHosts(cfg) {
		detail := p.Sprintf("git:// has no authentication: no token needed")
		if strings.HasPrefix(h, "ssh://") {
			detail = p.Sprintf("ssh uses your keys (ssh-agent, ~/.ssh), not a token")
		}
		checks = append(checks, Check{Name: p.Sprintf("access to %s", h), Status: CheckHint, Detail: detail})
	}
	return checks
}

// doctorJobs is how many federations doctor checks at once: each check
// asks a forge's API or runs git ls-remote for every server, and one
// after the other 10,000 federations took most of an hour.
const doctorJobs = 8

// serversCheck words what checkFederation found for one federation.
func serversCheck(p *i18n.Printer, name string, warns []i18n.Msg) Check {
	c := Check{Name: p.Sprintf("servers of federation %s", name), Status: CheckOK, Detail: p.Sprintf("reachable, repositories there, tokens allowed")}
	if len(warns) > 0 {
		lines := make([]string, len(warns))
		for i, w := range warns {
			lines[i] = w.Localize(p)
		}
		c.Status, c.Detail = CheckWarn, strings.Join(lines, "\n")
		c.Fix = p.Sprintf("each line above says what to do")
	}
	return c
}

func hostCheck(p *i18n.Printer, a HostAuth, getenv func(string) string) Check {
	c := Check{Name: p.Sprintf("token for %s", a.Host)}
	source := p.Sprintf("not found")
	if a.Source != "" {
		source = p.Sprintf("from %s", a.Source)
	}
	switch {
	case a.Valid && a.Source == "":
		c.Status, c.Detail = CheckWarn, p.Sprintf("token %s; readable without one (checked by %s)", source, a.Check)
		c.Fix = p.Sprintf("pushing will need one: %s", tokenFix(p, a, getenv))
	case a.Valid && len(a.Missing) > 0:
		var b strings.Builder
		printScopes(&b, p, "", a)
		c.Status, c.Detail = CheckFail, p.Sprintf("token %s; checked by %s\n%s", source, a.Check, strings.TrimSpace(b.String()))
		c.Fix = p.Sprintf("add the scopes named above to the token (or make a new one), then: git federate login %s", a.Host)
	case a.Valid:
		var b strings.Builder
		printScopes(&b, p, "", a)
		c.Status, c.Detail = CheckOK, strings.TrimSpace(p.Sprintf("token %s; checked by %s\n%s", source, a.Check, b.String()))
	case a.Problem == problemUnreachable:
		c.Status, c.Detail = CheckFail, p.Sprintf("token %s; server unreachable: %s", source, strings.ReplaceAll(a.errorText(p), "\n", "; "))
		c.Fix = p.Sprintf("check that %s is up and reachable from here (network, proxy, DNS); the token could not be tried", a.Host)
	case a.Problem == problemCertificate:
		c.Status, c.Detail = CheckFail, p.Sprintf("token %s; TLS certificate refused: %s", source, strings.ReplaceAll(a.errorText(p), "\n", "; "))
		c.Fix = p.Sprintf("renew %s's certificate if it expired, check the host name in the URL, or give git the CA that signed it (http.sslCAInfo); the token could not be tried", a.Host)
	case a.Problem == problemProtocol:
		c.Status, c.Detail = CheckFail, p.Sprintf("token %s; not tried: %s", source, strings.ReplaceAll(a.errorText(p), "\n", "; "))
		c.Fix = p.Sprintf("allow the protocol of %s (see the check of git's protocol policy), or leave it: git refuses the host while its policy forbids the protocol", a.Host)
	case a.Problem == problemNotFound:
		c.Status, c.Detail = CheckFail, p.Sprintf("token %s; %s", source, strings.ReplaceAll(a.errorText(p), "\n", "; "))
		c.Fix = p.Sprintf("check the repository URL in the federation's config (deleted or renamed?), or log in if it is private: git federate login %s", a.Host)
	case a.Source == "" && a.Check != "api":
		c.Status, c.Detail = CheckWarn, p.Sprintf("token %s; %s", source, a.errorText(p))
		c.Fix = tokenFix(p, a, getenv)
	default:
		c.Status, c.Detail = CheckFail, p.Sprintf("token %s; %s", source, strings.ReplaceAll(a.errorText(p), "\n", "; "))
		c.Fix = tokenFix(p, a, getenv)
	}
	return c
}

// tokenFix says how to give a's host a token that works, as a push's
// hint would (tokenHint).
func tokenFix(p *i18n.Printer, a HostAuth, getenv func(string) string) string {
	host := a.Host
	if u, err := url.Parse(a.Host); err == nil {
		host = u.Host
	}
	var acct gitexec.Account
	keystore.TokenAccount(&acct, host, keystore.Source(a.Source), getenv)
	acct.NoToken = a.Source == ""
	return tokenHint(acct, a.Host).Localize(p)
}

// tokenHint says how to give hostURL's server a token that works: where
// its token came from decides (a variable comes before the keyring; no
// keyring, no `git federate login`), and no token is told how to give one.
func tokenHint(acct gitexec.Account, hostURL string) i18n.Msg {
	if acct.NoToken {
		return acct.NoTokenHint(hostURL)
	}
	return acct.RefusedHint(hostURL)
}

// checkPlainServers lists each file and git:// repository of the
// federations with `git ls-remote`: they take no token, so the token
// checks skip them, yet a mirror path that is gone or a git daemon that
// is down fails every push and sync just the same.
func checkPlainServers(ctx context.Context, opts DoctorOptions, cfg *federation.Config) []Check {
	if cfg == nil {
		return nil
	}
	p := i18n.From(ctx)
	seen := map[string]bool{}
	var checks []Check
	for _, name := range cfg.Names() {
		f := cfg.Federations[name]
		for _, e := range f.Servers() {
			if (e.Protocol != "file" && e.Protocol != "git") || seen[e.Raw] {
				continue
			}
			seen[e.Raw] = true
			checks = append(checks, plainServerCheck(ctx, p, opts, e))
		}
	}
	return checks
}

// plainServerCheck is one line of checkPlainServers.
func plainServerCheck(ctx context.Context, p *i18n.Printer, opts DoctorOptions, e federation.Endpoint) Check {
	c := Check{Name: p.Sprintf("repository %s", e.Raw), Status: CheckOK, Detail: p.Sprintf("listed its refs (no token needed)")}
	err := gitexec.Runner{Dir: opts.Dir, Timeout: opts.Timeout}.Run(ctx, "ls-remote", "--heads", "--", e.Raw)
	if err == nil {
		return c
	}
	c.Status, c.Detail = CheckFail, strings.ReplaceAll(p.Error(gitexec.Explain(err, e.Raw)), "\n", "; ")
	c.Fix = p.Sprintf("check that the path exists and is a git repository (git init --bare to make one)")
	if e.Protocol == "git" {
		c.Fix = p.Sprintf("check that the git daemon at %s is running and exports the repository", e.HostURL())
	}
	return c
}
