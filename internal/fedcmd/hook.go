package fedcmd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/fedset"
	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// HookOptions are the inputs of `git federate hook add|list|remove`.
type HookOptions struct {
	Action     string // add, list or remove
	Names      []string
	All        bool
	URL        string // the `git federate serve` endpoint the hooks deliver to
	SecretFile string
	DryRun     bool
	IO         IO
	Deps       TokenDeps
}

// Hook actions.
const (
	hookAdd    = "add"
	hookList   = "list"
	hookRemove = "remove"
)

func hookCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "hook",
		Usage:     "create, list or remove the push webhooks that tell `git federate serve` about pushes",
		ArgsUsage: "add|list|remove [name…|--all] [--url URL] [--secret-file F] [--dry-run]",
		Description: "add creates a push webhook on each named federation's origin, through its\n" +
			"forge's API, delivering to URL (a `git federate serve` endpoint, e.g.\n" +
			"https://sync.example.com/webhook) signed with the shared secret from\n" +
			"--secret-file or FEDERATE_WEBHOOK_SECRET, the same one serve takes. A hook with that URL\n" +
			"already there is updated instead, so running add again changes nothing but the\n" +
			"secret. A federationset gets one organisation (GitLab: group) hook where the\n" +
			"forge offers one (GitHub, Gitea, GitLab) and the owner is an organisation;\n" +
			"else one per member repository. list shows the hooks there, which are ours\n" +
			"(their URL is URL), and whether the latest deliveries succeeded where the\n" +
			"forge keeps that history (GitHub) or the hook's last status (Gitee). remove\n" +
			"deletes only hooks whose URL is URL. --dry-run says what would change and\n" +
			"changes nothing. Exits 3 when some origins failed and others were done.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Usage: "every federation and federationset"},
			&cli.StringFlag{Name: "url", Usage: "the webhook receiver's `URL` (git federate serve)"},
			&cli.StringFlag{Name: "secret-file", Usage: "`file` holding the webhook secret (else $FEDERATE_WEBHOOK_SECRET)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "say what would change, change nothing"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return UsageError("usage: git federate hook add|list|remove [name…|--all] [--url URL]")
			}
			return runHook(c.Context, HookOptions{Action: c.Args().First(), Names: c.Args().Tail(), All: c.Bool("all"),
				URL: c.String("url"), SecretFile: c.String("secret-file"), DryRun: c.Bool("dry-run"), IO: stdio})
		},
	}
}

// hookSite is one place a hook goes: a repository, or an organisation
// for a federationset.
type hookSite struct {
	label       string // the federation or set it is for
	forge, base string
	host        string // https://host[:port]
	target      forge.HookTarget
	token       string
}

func (s hookSite) String() string { return s.host + "/" + s.target.String() }

func (o HookOptions) check() error {
	switch o.Action {
	case hookAdd, hookList, hookRemove:
	default:
		return UsageError("hook %q: use add, list or remove", o.Action)
	}
	if o.All == (len(o.Names) > 0) {
		return UsageError("hook %s: name federations or sets, or give --all (not both)", o.Action)
	}
	if o.URL == "" && o.Action != hookList {
		return UsageError("hook %s needs --url URL: the `git federate serve` endpoint, e.g. https://sync.example.com/webhook", o.Action)
	}
	if o.URL != "" {
		u, err := url.Parse(o.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return UsageError("--url %q: give an http(s) URL without credentials", o.URL)
		}
	}
	return nil
}

func runHook(ctx context.Context, o HookOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	var secret string
	if o.Action == hookAdd {
		b, err := readWebhookSecret(o.SecretFile, o.Deps.getenv)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return UsageError("no webhook secret: give --secret-file FILE or set %s (the one `git federate serve` uses)", SecretEnv)
		}
		secret = string(b)
	}
	cfg, deps, err := o.Deps.config(ctx)
	if err != nil {
		return err
	}
	o.Deps = deps
	sites, errs := hookSites(ctx, o, cfg)
	done := 0
	for _, s := range sites {
		if err := hookOne(ctx, o, s, secret); err != nil {
			errs = append(errs, i18n.Errorf("%s (%s): %w", s, s.label, err))
			continue
		}
		done++
	}
	for _, err := range errs {
		o.IO.P.Fprintf(o.IO.Err, "error: %s\n", o.IO.P.Error(err))
	}
	switch {
	case len(errs) == 0:
		return nil
	case done > 0:
		return Partial(i18n.Errorf("%d of %d origins failed", len(errs), len(errs)+done))
	}
	return i18n.Errorf("no origin done (%d failed)", len(errs))
}

// hookSites resolves the names (or --all) to the places hooks go. What
// cannot be resolved comes back as an error; the rest still runs.
func hookSites(ctx context.Context, o HookOptions, cfg *federation.Config) ([]hookSite, []error) {
	names := o.Names
	if o.All {
		names = append(cfg.Names(), setNames(cfg)...)
	}
	var sites []hookSite
	var errs []error
	for _, n := range names {
		var got []hookSite
		var err error
		if st, ok := cfg.Sets[n]; ok {
			got, err = setSites(ctx, o, cfg, st)
		} else {
			var f *federation.Federation
			if f, err = cfg.Lookup(n); err == nil {
				var s hookSite
				s, err = siteOf(ctx, o.Deps, cfg, f.Name, f.Origin, repoRef(f.Origin))
				got = []hookSite{s}
			}
		}
		if err != nil {
			errs = append(errs, i18n.Errorf("%s: %w", n, err))
			continue
		}
		sites = append(sites, got...)
	}
	return sites, errs
}

// siteOf is the hook site for target on the host of ep, with its token.
func siteOf(ctx context.Context, d TokenDeps, cfg *federation.Config, label string, ep federation.Endpoint, ref forge.RepoRef) (hookSite, error) {
	if !ep.HTTP() {
		return hookSite{}, i18n.Errorf("%s is not an http(s) URL: only a forge's API can make webhooks", ep.Raw)
	}
	name := cfg.ForgeOf(ep.Protocol, ep.Host)
	if !forge.Known(name) {
		return hookSite{}, i18n.Errorf("%w: %s is %q; name its forge with [federate \"%s\"] forge = github|gitlab|gitee|gitea",
			forge.ErrUnsupported, ep.HostURL(), name, ep.HostURL())
	}
	base, err := forge.APIBase(name, ep.HostURL(), cfg.HostFor(ep).API)
	if err != nil {
		return hookSite{}, err
	}
	cred, err := hostCredential(ctx, d, cfg, ep)
	if err != nil {
		return hookSite{}, i18n.Errorf("no token for %s: run `git federate login %s` (%w)", ep.HostURL(), ep.HostURL(), err)
	}
	return hookSite{label: label, forge: name, base: base, host: ep.HostURL(),
		target: forge.HookTarget{Owner: ref.Owner, Name: ref.Name}, token: cred.Token}, nil
}

// setSites is one organisation hook for set st where the forge offers
// them and the owner is an organisation (its hook listing answers), else
// one hook per member repository.
func setSites(ctx context.Context, o HookOptions, cfg *federation.Config, st *federation.Set) ([]hookSite, error) {
	origin, err := federation.ParseEndpoint(st.Origin)
	if err != nil {
		return nil, err
	}
	org, err := siteOf(ctx, o.Deps, cfg, st.Name, origin, forge.RepoRef{Owner: strings.Trim(origin.Path, "/")})
	if err != nil {
		return nil, err
	}
	if forge.OrgHooks(org.forge) {
		_, err := o.Deps.forgeClient().ListHooks(ctx, org.forge, org.base, org.token, org.target)
		if err == nil {
			return []hookSite{org}, nil
		}
		if !errors.Is(err, forge.ErrNotFound) {
			return nil, err
		}
	}
	members, errs := fedset.Expand(ctx, cfg, setNotes(o.IO, o.Deps.getenv, fedset.Deps{Config: cfg, Getenv: o.Deps.Getenv,
		Keyring: o.Deps.Keyring, Env: o.Deps.Env, HTTP: o.Deps.HTTP, Settings: o.Deps.HTTPSettings, Git: gitexec.Runner{Dir: o.Deps.Dir, Env: o.Deps.env()}}))
	var sites []hookSite
	for _, m := range members {
		if strings.HasPrefix(m.Name, st.Name+"/") {
			s := org
			s.label, s.target = m.Name, forge.HookTarget{Owner: org.target.Owner, Name: strings.TrimPrefix(m.Name, st.Name+"/")}
			sites = append(sites, s)
		}
	}
	if len(sites) == 0 {
		return nil, i18n.Errorf("federationset %q has no member repository: %w", st.Name, i18n.Join(errs...))
	}
	return sites, nil
}

// hookOne does the action at one site.
func hookOne(ctx context.Context, o HookOptions, s hookSite, secret string) error {
	c := o.Deps.forgeClient()
	hooks, err := c.ListHooks(ctx, s.forge, s.base, s.token, s.target)
	if err != nil {
		return hookError(s, err)
	}
	var ours []forge.Hook
	for _, h := range hooks {
		if h.URL == o.URL {
			ours = append(ours, h)
		}
	}
	w := o.IO.Out
	switch o.Action {
	case hookList:
		printHooks(ctx, o, c, s, hooks)
	case hookAdd:
		if o.DryRun {
			if len(ours) > 0 {
				o.IO.P.Fprintf(w, "%s: would be updated: push webhook to %s\n", s, o.URL)
			} else {
				o.IO.P.Fprintf(w, "%s: would be added: push webhook to %s\n", s, o.URL)
			}
			return nil
		}
		h, _, err := c.SaveHook(ctx, s.forge, s.base, s.token, s.target, o.URL, secret)
		if err != nil {
			return hookError(s, err)
		}
		if len(ours) > 0 {
			o.IO.P.Fprintf(w, "%s: updated push webhook %d to %s\n", s, h.ID, h.URL)
		} else {
			o.IO.P.Fprintf(w, "%s: added push webhook %d to %s\n", s, h.ID, h.URL)
		}
	case hookRemove:
		if len(ours) == 0 {
			o.IO.P.Fprintf(w, "%s: no webhook to %s\n", s, o.URL)
		}
		for _, h := range ours {
			if o.DryRun {
				o.IO.P.Fprintf(w, "%s: would remove webhook %d to %s\n", s, h.ID, h.URL)
				continue
			}
			if err := c.DeleteHook(ctx, s.forge, s.base, s.token, s.target, h.ID); err != nil {
				return hookError(s, err)
			}
			o.IO.P.Fprintf(w, "%s: removed webhook %d to %s\n", s, h.ID, h.URL)
		}
	}
	return nil
}

// hookError adds to a forge's refusal what the token lacks and where to
// add it: hook administration is a scope of its own on most forges.
func hookError(s hookSite, err error) error {
	if !errors.Is(err, forge.ErrForbidden) && !errors.Is(err, forge.ErrNotFound) {
		return err
	}
	need := forge.NeedHooks
	if s.target.Org() {
		need = forge.NeedOrgHooks
	}
	m := forge.Missing{Need: need, Scope: forge.ScopeFor(s.forge, need), Settings: forge.SettingsURL(s.forge, s.host)}
	if errors.Is(err, forge.ErrNotFound) {
		// GitHub answers 404, not 403, to a token that may not see hooks.
		return i18n.Errorf("%w\n  not found: deleted or renamed? Or the %s", err, missingText(m))
	}
	return i18n.Errorf("%w\n  %s, and the account must administer %s", err, missingText(m), s.target)
}

// printHooks lists the hooks of one site, ours marked, with the latest
// deliveries where the forge keeps them.
func printHooks(ctx context.Context, o HookOptions, c forge.Client, s hookSite, hooks []forge.Hook) {
	w := o.IO.Out
	if len(hooks) == 0 {
		o.IO.P.Fprintf(w, "%s: no webhooks\n", s)
		return
	}
	fmt.Fprintf(w, "%s:\n", s)
	var rows [][]string
	for _, h := range hooks {
		mark := ""
		if o.URL != "" && h.URL == o.URL {
			mark = o.IO.P.Sprintf(" (ours)")
		}
		state := o.IO.P.Sprintf("active")
		if !h.Active {
			state = o.IO.P.Sprintf("inactive")
		}
		rows = append(rows, []string{"  " + strconv.FormatInt(h.ID, 10), h.URL + mark, state, lastDeliveries(ctx, o.IO.P, c, s, h)})
	}
	writeColumns(w, rows)
}

// lastDeliveries sums up the latest deliveries of h: from the forge's
// history where it has one, else the hook's own last status.
func lastDeliveries(ctx context.Context, p *i18n.Printer, c forge.Client, s hookSite, h forge.Hook) string {
	ds, err := c.Deliveries(ctx, s.forge, s.base, s.token, s.target, h.ID)
	switch {
	case errors.Is(err, forge.ErrUnsupported) && h.LastStatus != "":
		return p.Sprintf("last delivery: %s", h.LastStatus)
	case errors.Is(err, forge.ErrUnsupported):
		return p.Sprintf("deliveries: %s does not report them through its API", s.forge)
	case err != nil:
		return p.Sprintf("deliveries: unknown (%s)", p.Error(err))
	case len(ds) == 0:
		return p.Sprintf("deliveries: none yet")
	}
	failed := 0
	for _, d := range ds {
		if !d.OK() {
			failed++
		}
	}
	last := ds[0]
	return p.Sprintf("last %d deliveries: %d failed; latest %s HTTP %d %s", len(ds), failed,
		last.When.Format("2006-01-02 15:04"), last.StatusCode, last.Status)
}
