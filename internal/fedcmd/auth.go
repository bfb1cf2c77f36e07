package fedcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
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
}

func authCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:  "auth",
		Usage: "show where each configured host's token comes from, and whether it works",
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
var errAuthFailed = errors.New("some hosts have no working token")

func runAuth(ctx context.Context, o AuthOptions) error {
	cfg, err := o.Deps.config(ctx)
	if err != nil {
		return err
	}
	hosts := configuredHosts(cfg)
	results := make([]HostAuth, 0, len(hosts))
	failed := len(cfg.Invalid) > 0
	for _, name := range sortedKeys(cfg.Invalid) {
		fmt.Fprintf(o.IO.Err, "warning: federation %q is misconfigured, its hosts are not checked: %v\n", name, cfg.Invalid[name])
	}
	for _, h := range hosts {
		res := checkHost(ctx, o.Deps, cfg, h)
		failed = failed || !res.Valid
		results = append(results, res)
	}
	if o.JSON {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		printAuth(o.IO, results)
	}
	if failed {
		return &ExitError{Code: ExitFailure, Err: errAuthFailed}
	}
	return nil
}

func printAuth(stdio IO, results []HostAuth) {
	if len(results) == 0 {
		fmt.Fprintln(stdio.Out, "No http(s) hosts configured: add a federation with `git federate add`.")
		return
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tFORGE\tTOKEN FROM\tSTATUS")
	for _, r := range results {
		src, status := r.Source, "ok"
		if src == "" {
			src = "(none)"
		}
		if !r.Valid {
			status = "FAILED: " + r.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Host, r.Forge, src, status)
	}
	tw.Flush()
}

// hostRepo is a host and one configured repository on it.
type hostRepo struct {
	ep   federation.Endpoint
	repo string
}

// configuredHosts lists every http(s) host named by an origin or mirror,
// with the first repository seen there, sorted by host URL.
func configuredHosts(cfg *federation.Config) []hostRepo {
	seen := map[string]hostRepo{}
	for _, name := range cfg.Names() {
		f := cfg.Federations[name]
		for _, e := range append([]federation.Endpoint{f.Origin}, f.Mirrors...) {
			if _, ok := seen[e.HostURL()]; e.HTTP() && !ok {
				seen[e.HostURL()] = hostRepo{ep: e, repo: e.Raw}
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
	res := HostAuth{Host: h.ep.HostURL(), Forge: forgeName}
	key := keystore.Key{Protocol: h.ep.Protocol, Host: h.ep.Host}
	chain := keystore.Default(keystore.Options{Getenv: d.getenv, Keyring: d.Keyring,
		Forge:         func(host string) string { return cfg.ForgeOf(h.ep.Protocol, host) },
		GitCredential: &keystore.GitCredential{Env: d.env()}})
	cred, err := chain.Get(ctx, key)
	switch {
	case err == nil:
		res.Source = string(cred.Source)
	case !errors.Is(err, keystore.ErrNotFound) || isBrokenLookup(err):
		res.Error = err.Error()
		return res
	}
	if res.Source != "" && forge.Known(forgeName) {
		res.Check = "api"
		base, err := forge.APIBase(forgeName, res.Host, cfg.HostFor(h.ep).API)
		if err == nil {
			_, err = forge.Client{HTTP: d.HTTP}.CurrentUser(ctx, forgeName, base, cred.Token)
		}
		if err != nil {
			res.Error = err.Error()
			return res
		}
		res.Valid = true
		return res
	}
	if h.repo == "" {
		res.Check = "none"
		res.Valid = res.Source != ""
		if !res.Valid {
			res.Error = "no token, and no repository to try without one"
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
			return r.Run(ctx, "ls-remote", "--heads", "--", h.repo)
		})
	}
	if err != nil {
		res.Error = gitexec.Explain(err, h.repo).Error()
		return res
	}
	res.Valid = true
	return res
}

// isBrokenLookup reports whether a not-found error also carries a store
// failure (a keyring that timed out, say).
func isBrokenLookup(err error) bool {
	var j interface{ Unwrap() []error }
	return errors.As(err, &j) && len(j.Unwrap()) > 1
}

func setNames(cfg *federation.Config) []string {
	names := make([]string, 0, len(cfg.Sets))
	for n := range cfg.Sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
