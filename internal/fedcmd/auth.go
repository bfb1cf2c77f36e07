package fedcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// AuthOptions are the flags of `git federate auth`.
type AuthOptions struct {
	JSON bool
	IO   IO
	Deps TokenDeps
}

// HostAuth is what `auth` reports for one host; it never holds a token.
type HostAuth struct {
	Host   string `json:"host"`
	Forge  string `json:"forge"`
	Source string `json:"source"` // env:<VARIABLE>, keyring, git-credential, or "" for none
	Valid  bool   `json:"valid"`
	Check  string `json:"check"` // api, ls-remote or none
	Error  string `json:"error,omitempty"`
	// Problem sorts a failure: unreachable (the server, not the token),
	// certificate-refused (its TLS certificate, not the token),
	// token-refused, no-permission or not-found; "" when valid.
	Problem string `json:"problem,omitempty"`
	// Needs is what the configuration needs the token to do on this host
	// (read, write, create).
	Needs []string `json:"needs,omitempty"`
	// Access is what the forge says the token may do; nil when the forge
	// was not asked (no token, or a forge without a known API).
	Access *forge.Access `json:"access,omitempty"`
	// Missing lists the needs the token may not do, each with the
	// forge's word for the scope and the page where it is added.
	Missing []forge.Missing `json:"missing,omitempty"`
	// ScopeError is why the forge could not be asked about scopes.
	ScopeError string `json:"scope_error,omitempty"`

	// err and scopeErr are Error and ScopeError as errors, which say
	// themselves in the user's language; JSON keeps the English text.
	err, scopeErr error
}

// fail records why the host check failed and how it failed.
func (a *HostAuth) fail(err error, problem string) {
	a.Error, a.err, a.Problem = err.Error(), err, problem
}

// errorText is Error in p's language.
func (a HostAuth) errorText(p *i18n.Printer) string {
	if a.err != nil {
		return p.Error(a.err)
	}
	return a.Error
}

// Problems a host check tells apart.
const (
	problemUnreachable  = "unreachable"
	problemRefused      = "token-refused"
	problemNoPermission = "no-permission"
	problemNotFound     = "not-found"
	problemCertificate  = "certificate-refused"
	problemProtocol     = "protocol-not-allowed"
)

func authCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:  "auth",
		Usage: "show where each configured host's token comes from, and whether it works",
		Description: "For every http(s) host that a federation or federationset names, finds the\n" +
			"token the way git would get it (FEDERATE_TOKEN_<HOST>, the forge's variable,\n" +
			"the OS keyring, git's credential helpers), reports its source (never its\n" +
			"value), and tries it: with the forge's API where the forge is known, else with\n" +
			"git ls-remote of a configured repository. A server that cannot be reached is\n" +
			"reported as such, not as a bad token. Where the forge is known it also reports\n" +
			"the token's scopes, as the forge tells them, against what the configuration\n" +
			"needs there (read an origin, push a mirror, create a missing mirror), naming a\n" +
			"missing scope in the forge's own word and the page where it is changed. ssh\n" +
			"and git:// hosts use no token and are listed apart. Exits 1 when a host has\n" +
			"no working token or a token without a scope it needs.",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return UsageError("auth takes no arguments")
			}
			return runAuth(c.Context, AuthOptions{JSON: c.Bool("json"), IO: stdio})
		},
	}
}

// errAuthFailed is returned when some host's token does not work.
var errAuthFailed = i18n.Errorf("some hosts have no working token")

func runAuth(ctx context.Context, o AuthOptions) error {
	cfg, deps, err := o.Deps.config(ctx)
	if err != nil {
		return err
	}
	o.Deps = deps
	hosts := configuredHosts(cfg)
	needs := hostNeeds(cfg)
	results := make([]HostAuth, 0, len(hosts))
	failed := len(cfg.Invalid) > 0
	for _, name := range sortedKeys(cfg.Invalid) {
		o.IO.P.Fprintf(o.IO.Err, "warning: federation %q is misconfigured, its hosts are not checked: %v\n", name, cfg.Invalid[name])
	}
	for _, h := range hosts {
		h.needs = needs[h.ep.HostURL()]
		res := checkHost(ctx, o.Deps, cfg, h)
		failed = failed || !res.Valid || len(res.Missing) > 0
		results = append(results, res)
	}
	if o.JSON {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		printAuth(o.IO, results, otherHosts(cfg))
	}
	if failed {
		return &ExitError{Code: ExitFailure, Err: errAuthFailed}
	}
	return nil
}

func printAuth(stdio IO, results []HostAuth, others []string) {
	defer printOtherHosts(stdio, others)
	if len(results) == 0 {
		if len(others) == 0 {
			stdio.P.Fprintf(stdio.Out, "No federation is configured: add one with `git federate add`.\n")
		} else {
			stdio.P.Fprintf(stdio.Out, "No http(s) host is configured, so no token is needed.\n")
		}
		return
	}
	p := stdio.P
	rows := [][]string{strings.Split(strings.TrimSuffix(p.Sprintf("HOST\tFORGE\tTOKEN FROM\tSTATUS\n"), "\n"), "\t")}
	for _, r := range results {
		src, status := r.Source, p.Sprintf("ok")
		if src == "" {
			src = p.Sprintf("(none)")
		}
		switch {
		case !r.Valid:
			label := problemLabel(r.Problem)
			if r.Problem == problemRefused && r.Source == "" {
				label = i18n.M("NO TOKEN") // none was refused
			}
			status = p.Sprintf("%s: %s", label.Localize(p), r.errorText(p))
		case len(r.Missing) > 0:
			status = p.Sprintf("MISSING SCOPES (below)")
		}
		rows = append(rows, []string{r.Host, r.Forge, src, status})
	}
	writeColumns(stdio.Out, rows)
	for _, r := range results {
		if r.Access != nil || r.ScopeError != "" {
			fmt.Fprintf(stdio.Out, "\n%s:\n", r.Host)
			printScopes(stdio.Out, stdio.P, "  ", r)
		}
	}
}

// hostRepo is a host and one configured repository on it.
type hostRepo struct {
	ep   federation.Endpoint
	repo string
	// probe is a repository on the host whose permissions tell what the
	// token may do where the forge does not list scopes: the first
	// mirror, else the first repository seen.
	probe forge.RepoRef
	// needs is what the configuration needs the token to do there.
	needs []string
}

// configuredHosts lists every http(s) host named by an origin or mirror,
// with the first repository seen there, sorted by host URL.
func configuredHosts(cfg *federation.Config) []hostRepo {
	seen := map[string]hostRepo{}
	mirrorRepo := map[string]forge.RepoRef{} // a mirror is where push rights matter
	for _, name := range cfg.Names() {
		for _, m := range cfg.Federations[name].Mirrors {
			if _, ok := mirrorRepo[m.HostURL()]; !ok {
				mirrorRepo[m.HostURL()] = repoRef(m)
			}
		}
	}
	for _, name := range cfg.Names() {
		f := cfg.Federations[name]
		for _, e := range f.Servers() {
			if _, ok := seen[e.HostURL()]; e.HTTP() && !ok {
				probe, ok := mirrorRepo[e.HostURL()]
				if !ok {
					probe = repoRef(e)
				}
				seen[e.HostURL()] = hostRepo{ep: e, repo: e.Raw, probe: probe}
			}
		}
	}
	// A federationset names owners, not repositories: its hosts are
	// checked through the forge API only.
	for _, name := range setNames(cfg) {
		st := cfg.Sets[name]
		for _, raw := range append([]string{st.Origin}, st.Mirrors...) {
			e, err := federation.ParseEndpoint(raw)
			if _, ok := seen[e.HostURL()]; err == nil && e.HTTP() && !ok {
				seen[e.HostURL()] = hostRepo{ep: e}
			}
		}
	}
	out := make([]hostRepo, 0, len(seen))
	for _, h := range seen {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ep.HostURL() < out[j].ep.HostURL() })
	return out
}

// checkHost finds where host's token comes from and whether it works:
// through the forge API when the forge is known and a token exists, else
// with git ls-remote of a configured repository.
func checkHost(ctx context.Context, d TokenDeps, cfg *federation.Config, h hostRepo) HostAuth {
	forgeName := cfg.ForgeOf(h.ep.Protocol, h.ep.Host)
	res := HostAuth{Host: h.ep.HostURL(), Forge: forgeName, Needs: h.needs}
	cred, err := hostCredential(ctx, d, cfg, h.ep)
	switch {
	case err == nil:
		res.Source = string(cred.Source)
	case !errors.Is(err, keystore.ErrNotFound):
		res.Error, res.err = err.Error(), err
		return res
	}
	if res.Source != "" && forge.Known(forgeName) {
		res.Check = "api"
		base, err := forge.APIBase(forgeName, res.Host, cfg.HostFor(h.ep).API)
		client := d.forgeClient()
		if err == nil {
			_, err = client.CurrentUser(ctx, forgeName, base, cred.Token)
		}
		// A 403 there is a token the forge accepted that may not read the
		// account (a Gitea token without read:user): its scopes tell more.
		if err != nil && !errors.Is(err, forge.ErrForbidden) {
			res.fail(err, apiProblem(err))
			return res
		}
		res.Valid = true
		scopeCheck(ctx, client, &res, base, cred.Token, h.probe)
		if len(res.Missing) > 0 {
			res.Problem = problemNoPermission
		}
		return res
	}
	if h.repo == "" {
		res.Check = "none"
		res.Valid = res.Source != ""
		if !res.Valid {
			res.fail(i18n.Errorf("no token, and no repository to try without one"), problemRefused)
		}
		return res
	}
	res.Check = "ls-remote"
	r, err := d.runner()
	r.Redact = redact.New() // the server may echo the token back
	r.Redact.Add(cred.Username, cred.Token)
	r.Redact.Add(keystore.DefaultUsername, cred.Token)
	if err == nil {
		err = gitexec.Retry(ctx, nil, func(ctx context.Context) error {
			g, url := r.Plain(h.repo)
			return g.Run(ctx, "ls-remote", "--heads", "--", url)
		})
	}
	if err != nil {
		res.fail(gitexec.ExplainAs(err, h.repo, keystore.HintAccount(ctx, forgeName, r.Git, r.Dir, h.repo, r.Env)), gitProblem(err))
		return res
	}
	res.Valid = true
	return res
}

// hostCredential looks up the token for the host of ep through the
// whole chain: variables, the OS keyring, git's credential helpers.
func hostCredential(ctx context.Context, d TokenDeps, cfg *federation.Config, ep federation.Endpoint) (keystore.Credential, error) {
	if d.Tokens != nil {
		return d.Tokens.Get(ctx, keystore.Key{Protocol: ep.Protocol, Host: ep.Host})
	}
	chain := keystore.Default(keystore.Options{Getenv: d.getenv, Keyring: d.Keyring,
		Forge:         func(host string) string { return cfg.ForgeOf(ep.Protocol, host) },
		GitCredential: &keystore.GitCredential{Env: d.env()}})
	return chain.Get(ctx, keystore.Key{Protocol: ep.Protocol, Host: ep.Host})
}

// serverTokens is the tokens of cfg's servers, each host's asked once
// (hostCredential, remembered by a keystore.Memo).
func serverTokens(d TokenDeps, cfg *federation.Config) *keystore.Memo {
	d.Tokens = nil
	return keystore.NewMemo(tokenGetter(func(ctx context.Context, k keystore.Key) (keystore.Credential, error) {
		return hostCredential(ctx, d, cfg, federation.Endpoint{Protocol: k.Protocol, Host: k.Host})
	}))
}

// tokenGetter is a function as a keystore.Getter.
type tokenGetter func(ctx context.Context, k keystore.Key) (keystore.Credential, error)

// Get implements keystore.Getter.
func (f tokenGetter) Get(ctx context.Context, k keystore.Key) (keystore.Credential, error) {
	return f(ctx, k)
}

func setNames(cfg *federation.Config) []string {
	names := make([]string, 0, len(cfg.Sets))
	for n := range cfg.Sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// apiProblem sorts a failed forge API call.
func apiProblem(err error) string {
	var se *forge.StatusError
	switch {
	case gitexec.Classify(err) == gitexec.KindTLS:
		return problemCertificate
	case errors.Is(err, forge.ErrUnauthorized):
		return problemRefused
	case errors.Is(err, forge.ErrForbidden):
		return problemNoPermission
	case errors.Is(err, forge.ErrNotFound):
		return problemNotFound
	case errors.As(err, &se) && se.Status < 500:
		return problemRefused
	}
	return problemUnreachable // no answer, or a 5xx: the server, not the token
}

// gitProblem sorts a failed git ls-remote: what is not a refusal, a
// missing repository, a certificate refused here or a protocol git's
// policy forbids is a server that did not answer.
func gitProblem(err error) string {
	switch gitexec.Classify(err) {
	case gitexec.KindAuth:
		return problemRefused
	case gitexec.KindNoWrite:
		return problemNoPermission
	case gitexec.KindNotFound:
		return problemNotFound
	case gitexec.KindTLS:
		return problemCertificate
	case gitexec.KindForbidden:
		return problemProtocol
	}
	return problemUnreachable
}

// problemLabel is the STATUS column of a failed host.
func problemLabel(problem string) i18n.Msg {
	switch problem {
	case problemUnreachable:
		return i18n.M("UNREACHABLE")
	case problemNotFound:
		return i18n.M("NOT FOUND")
	case problemNoPermission:
		return i18n.M("NO PERMISSION")
	case problemCertificate:
		return i18n.M("CERTIFICATE REFUSED")
	case problemProtocol:
		return i18n.M("PROTOCOL NOT ALLOWED")
	}
	return i18n.M("TOKEN REFUSED")
}

// otherHosts lists the ssh and git:// hosts the config names: they take
// no token, so auth does not check them, but says they are there.
func otherHosts(cfg *federation.Config) []string {
	seen := map[string]bool{}
	var out []string
	add := func(e federation.Endpoint) {
		if e.HTTP() || e.Protocol == "file" || seen[e.HostURL()] {
			return
		}
		seen[e.HostURL()] = true
		out = append(out, e.HostURL())
	}
	for _, name := range cfg.Names() {
		f := cfg.Federations[name]
		for _, e := range f.Servers() {
			add(e)
		}
	}
	for _, name := range setNames(cfg) {
		st := cfg.Sets[name]
		for _, raw := range append([]string{st.Origin}, st.Mirrors...) {
			if e, err := federation.ParseEndpoint(raw); err == nil {
				add(e)
			}
		}
	}
	sort.Strings(out)
	return out
}

func printOtherHosts(stdio IO, hosts []string) {
	if len(hosts) == 0 {
		return
	}
	stdio.P.Fprintf(stdio.Out, "\nHosts reached without a token (not checked here):\n")
	for _, h := range hosts {
		how := stdio.P.Sprintf("git:// has no authentication")
		if strings.HasPrefix(h, "ssh://") {
			how = stdio.P.Sprintf("ssh uses your keys (ssh-agent, ~/.ssh), not a token")
		}
		fmt.Fprintf(stdio.Out, "  %s: %s\n", h, how)
	}
}
