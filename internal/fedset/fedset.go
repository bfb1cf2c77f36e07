// Package fedset turns [federationset] sections into member federations,
// by listing the origin owner's repositories through its forge's API, and
// creates missing mirror repositories for federations with createMissing.
package fedset

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// Deps are what Expand and EnsureMirror use from the outside world.
// The zero value works: environment and keyring tokens, os.Getenv, git
// from PATH without a credential helper.
type Deps struct {
	// Config gives each host's forge and API ([federate "<url>"]);
	// EnsureMirror needs it, Expand takes its own. nil means only the
	// well-known hosts (github.com, gitlab.com, gitee.com) have a forge.
	Config *federation.Config
	// Tokens finds a host's token; nil means keystore.Default built from
	// Getenv, Keyring and Env, the chain `git federate auth` uses.
	Tokens keystore.Store
	// Getenv looks up variables; nil means os.Getenv.
	Getenv func(string) string
	// Keyring is the keyring backend; nil means the OS keyring.
	Keyring keystore.KeyringBackend
	// Env is the environment of `git credential fill`, the chain's last
	// store; nil means os.Environ().
	Env []string
	// HTTP calls forge APIs; nil means a plain client.
	HTTP *http.Client
	// Settings gives git's http configuration for a forge API URL
	// (forge.Client.Settings); nil means git's environment alone.
	Settings httpx.SettingsFor
	// Timeout bounds each forge API call; 0 means forge.DefaultTimeout.
	Timeout time.Duration
	// PerPage is the listing page size; 0 means the forge's maximum.
	PerPage int
	// Warnf reports what EnsureMirror could not carry over to a created
	// repository, and a forge's request budget running low while Expand
	// lists a set; nil means such notes are dropped.
	Warnf func(format string, args ...any)
	// Log takes the debug lines of set listings: each page and the
	// request budget the forge said is left. nil logs nothing.
	Log *slog.Logger
	// Git runs `git ls-remote` against mirrors. Give it the credential
	// callback (gitexec.WithCredentialCallback) so private and missing
	// repositories are told apart: without a token many forges answer
	// 401 for both.
	Git gitexec.Runner
}

func (d Deps) client() forge.Client {
	return forge.Client{HTTP: d.HTTP, Settings: d.Settings, Timeout: d.Timeout, PerPage: d.PerPage, Log: d.Log, Warnf: d.Warnf}
}

// token is the token for the host of e, or "" when no store has one. A
// broken store (a keyring that timed out) is an error, not "no token".
func (d Deps) token(ctx context.Context, cfg *federation.Config, e federation.Endpoint) (string, error) {
	store := d.Tokens
	if store == nil {
		getenv, env := d.Getenv, d.Env
		if getenv == nil {
			getenv = os.Getenv
		}
		if env == nil {
			env = os.Environ()
		}
		store = keystore.Default(keystore.Options{Getenv: getenv, Keyring: d.Keyring,
			Forge:         func(host string) string { return cfg.ForgeOf(e.Protocol, host) },
			GitCredential: &keystore.GitCredential{Env: env}})
	}
	cred, err := store.Get(ctx, keystore.Key{Protocol: e.Protocol, Host: e.Host})
	if err == nil {
		return cred.Token, nil
	}
	if errors.Is(err, keystore.ErrNotFound) {
		return "", nil
	}
	return "", i18n.Errorf("looking up the token for %s: %w", e.HostURL(), err)
}

// api is the forge name, API base and owner path of an owner or
// repository URL. Forge APIs speak https: an ssh or git URL is looked up
// as https on the same host name.
type api struct {
	forge, base string
	web         federation.Endpoint // the https (or http) form, for tokens
}

func apiOf(cfg *federation.Config, e federation.Endpoint) (api, error) {
	web := e
	if !e.HTTP() {
		host, _, _ := strings.Cut(e.Host, ":")
		web = federation.Endpoint{Raw: "https://" + host + e.Path, Protocol: "https", Host: host, Path: e.Path}
	}
	f := cfg.ForgeOf(web.Protocol, web.Host)
	if !forge.Known(f) {
		return api{forge: f}, i18n.Errorf("%w: %s is %q; name its forge with [federate \"%s\"] forge = github|gitlab|gitee|gitea",
			forge.ErrUnsupported, web.HostURL(), f, web.HostURL())
	}
	override := ""
	if cfg != nil {
		override = cfg.HostFor(web).API
	}
	base, err := forge.APIBase(f, web.HostURL(), override)
	return api{forge: f, base: base, web: web}, err
}

// Expand turns every [federationset] of cfg into its member federations,
// one per repository of the origin owner whose name matches an include
// wildcard (all when none is set) and no exclude wildcard (path.Match).
// A member of set "apache" for repository "linkis" is named
// "apache/linkis"; its origin is "<origin owner URL>/linkis.git", its
// mirrors "<mirror owner URL>/linkis.git", and its Options are the set's.
// A member whose name a [federation] section already uses is left out:
// the explicit section wins. Members come sorted by name. Each set that
// cannot be listed adds an error (naming the set, never a token) and
// contributes no members; the other sets still expand.
func Expand(ctx context.Context, cfg *federation.Config, deps Deps) ([]*federation.Federation, []error) {
	var out []*federation.Federation
	var errs []error
	names := make([]string, 0, len(cfg.Sets))
	for n := range cfg.Sets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		members, err := expandSet(ctx, cfg, cfg.Sets[n], deps)
		if err != nil {
			// members holds those that are sound: a hostile name in a
			// listing costs only its own member.
			errs = append(errs, i18n.Errorf("federationset %q: %w", n, err))
		}
		for _, m := range members {
			if _, taken := cfg.Federations[m.Name]; !taken {
				out = append(out, m)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, errs
}

func expandSet(ctx context.Context, cfg *federation.Config, s *federation.Set, deps Deps) ([]*federation.Federation, error) {
	origin, err := federation.ParseEndpoint(s.Origin)
	if err != nil {
		return nil, i18n.Errorf("origin: %w", err)
	}
	a, err := apiOf(cfg, origin)
	if err != nil {
		return nil, i18n.Errorf("cannot list the repositories of %s: %w", s.Origin, err)
	}
	token, err := deps.token(ctx, cfg, a.web)
	if err != nil {
		return nil, err
	}
	owner := strings.Trim(origin.Path, "/")
	repos, err := deps.client().ListRepos(ctx, a.forge, a.base, owner, token)
	if err != nil {
		return nil, i18n.Errorf("listing the repositories of %s: %w", s.Origin, err)
	}
	var members []*federation.Federation
	var errs []error
	for _, r := range repos {
		if !Selects(s, r.Name) {
			continue
		}
		m, err := Member(s, r.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.OriginChangedAt = r.ChangedAt
		members = append(members, m)
	}
	return members, i18n.Join(errs...)
}

// Selects reports whether the set s takes the repository called name:
// it matches an include wildcard (or there is none) and no exclude one.
func Selects(s *federation.Set, name string) bool {
	return (len(s.Include) == 0 || matchAny(s.Include, name)) && !matchAny(s.Exclude, name)
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// Member is the federation for repository repo of set s, without asking
// any forge: named "<set>/<repo>", origin and mirrors "<owner URL>/<repo>.git",
// the set's Options.
// A repository name comes from a forge's listing, which the forge's owner
// controls: it must be one plain path segment, and every URL built from
// it must stay under its owner's.
func Member(s *federation.Set, repo string) (*federation.Federation, error) {
	if err := forge.CheckName(repo); err != nil {
		return nil, i18n.Errorf("repository name from the listing refused: %w", err)
	}
	f := &federation.Federation{Name: s.Name + "/" + repo, Options: s.Options}
	var err error
	if f.Origin, err = underOwner(s.Origin, repo); err != nil {
		return nil, i18n.Errorf("origin of %s: %w", repo, err)
	}
	for _, m := range s.Mirrors {
		ep, err := underOwner(m, repo)
		if err != nil {
			return nil, i18n.Errorf("mirror of %s: %w", repo, err)
		}
		f.Mirrors = append(f.Mirrors, ep)
	}
	return f, nil
}

// underOwner is the endpoint of repo under owner's URL, refused unless it
// is on owner's host, directly under owner's path.
func underOwner(owner, repo string) (federation.Endpoint, error) {
	ep, err := federation.ParseEndpoint(join(owner, repo))
	if err != nil {
		return ep, err
	}
	o, err := federation.ParseEndpoint(owner)
	if err != nil {
		return ep, err
	}
	if ep.Protocol != o.Protocol || ep.Host != o.Host || path.Dir(ep.Path) != strings.TrimRight(o.Path, "/") {
		return ep, i18n.Errorf("repository name %q leads outside %s", repo, owner)
	}
	return ep, nil
}

// join is "<owner URL>/<repo>.git".
func join(owner, repo string) string {
	return strings.TrimRight(owner, "/") + "/" + repo + ".git"
}

// Creatable reports whether EnsureMirror can create mirror: its forge
// (by cfg) has an API for it.
func Creatable(cfg *federation.Config, mirror federation.Endpoint) bool {
	_, err := apiOf(cfg, mirror)
	return err == nil
}

// EnsureMirror makes sure repository mirror of fed exists, creating it
// through its forge's API when it does not: only when fed has
// createMissing set and mirror's forge is known (deps.Config), else it
// does nothing. `git ls-remote` (deps.Git) decides whether the repository
// is missing; any failure but "not found" comes back explained
// (gitexec.ExplainAs). The new repository is private unless the origin's
// forge says the origin is public, and takes the origin's description and
// homepage; what the mirror's forge did not keep is reported through
// deps.Warnf. It is created under the mirror URL's owner (an organisation
// or group, or the token's own account). created tells whether a
// repository was made.
func EnsureMirror(ctx context.Context, fed *federation.Federation, mirror federation.Endpoint, deps Deps) (created bool, err error) {
	if !fed.CreateMissing {
		return false, nil
	}
	a, err := apiOf(deps.Config, mirror)
	if errors.Is(err, forge.ErrUnsupported) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	err = gitexec.Retry(ctx, nil, func(ctx context.Context) error {
		g, url := deps.Git.Plain(mirror.Raw)
		return g.Run(ctx, "ls-remote", "--heads", "--", url)
	})
	if err == nil {
		return false, nil
	}
	if gitexec.Classify(err) != gitexec.KindNotFound {
		acct := keystore.HintAccount(ctx, deps.Config.ForgeOf(mirror.Protocol, mirror.Host), deps.Git.Git, deps.Git.Dir, mirror.Raw, deps.Git.Env)
		return false, gitexec.ExplainAs(err, mirror.Raw, acct)
	}
	owner, name := splitRepo(mirror.Path)
	token, err := deps.token(ctx, deps.Config, a.web)
	if err != nil {
		return false, err
	}
	if token == "" {
		return false, i18n.Errorf("mirror %s is missing and cannot be created: no token for %s: run `git federate login %s`",
			mirror.Raw, a.web.HostURL(), a.web.HostURL())
	}
	opts := originSettings(ctx, fed.Origin, deps)
	made, err := deps.client().CreateRepo(ctx, a.forge, a.base, owner, name, token, opts)
	if err != nil {
		return false, i18n.Errorf("mirror %s is missing; %w", mirror.Raw, err)
	}
	if lost := notKept(opts, made); len(lost) > 0 && deps.Warnf != nil {
		deps.Warnf("%s", i18n.M("created mirror %s, but %s did not keep the origin's %s", mirror.Raw, a.web.HostURL(), lost))
	}
	return true, nil
}

// notKept names the settings of opts that the created repository does not
// have.
func notKept(opts forge.CreateOptions, made forge.Repo) settingList {
	var lost settingList
	if opts.Description != made.Description {
		lost = append(lost, i18n.M("description"))
	}
	if opts.Homepage != made.Homepage {
		lost = append(lost, i18n.M("homepage"))
	}
	if opts.Private != made.Private {
		lost = append(lost, i18n.M("visibility"))
	}
	return lost
}

// settingList names repository settings, "description and homepage", in
// the language it is printed in.
type settingList []i18n.Msg

// Localize joins the names in p's language.
func (l settingList) Localize(p *i18n.Printer) string {
	names := make([]string, len(l))
	for i, m := range l {
		names[i] = m.Localize(p)
	}
	return strings.Join(names, p.Sprintf(" and "))
}

func (l settingList) String() string { return l.Localize(nil) }

// splitRepo splits "/owner/name.git" into "owner" and "name"; a GitLab
// owner may be a nested group "group/sub".
func splitRepo(p string) (owner, name string) {
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// OriginHead is the default branch of fed's origin, for mirror, a
// repository that is empty or that EnsureMirror created: a forge names
// one created empty by its own default ("main"), which the mirror may
// not have, and a clone from it (the failover clone) would check out
// nothing, or another branch than a clone from origin. It is origin's
// forge's word, else the HEAD origin advertises (`git ls-remote
// --symref`); "" when neither says. The error wraps
// forge.ErrUnsupported when mirror's forge has no API to set it with.
func OriginHead(ctx context.Context, fed *federation.Federation, mirror federation.Endpoint, deps Deps) (string, error) {
	if _, err := apiOf(deps.Config, mirror); err != nil {
		return "", err
	}
	if branch := originSettings(ctx, fed.Origin, deps).DefaultBranch; branch != "" {
		return branch, nil
	}
	return advertisedHead(ctx, fed.Origin, deps), nil
}

// SetMirrorHead makes branch, which mirror has, its default branch,
// through its forge's API.
func SetMirrorHead(ctx context.Context, mirror federation.Endpoint, branch string, deps Deps) error {
	a, err := apiOf(deps.Config, mirror)
	if err != nil {
		return err
	}
	token, err := deps.token(ctx, deps.Config, a.web)
	if err != nil {
		return err
	}
	owner, name := splitRepo(mirror.Path)
	if err := deps.client().SetDefaultBranch(ctx, a.forge, a.base, owner, name, token, branch); err != nil {
		return i18n.Errorf("setting the default branch of %s to %s: %w", mirror.Raw, branch, err)
	}
	return nil
}

// advertisedHead is the branch origin's HEAD names, as git lists it; ""
// when origin does not say (or cannot be asked).
func advertisedHead(ctx context.Context, origin federation.Endpoint, deps Deps) string {
	g, url := deps.Git.Plain(origin.Raw)
	out, err := g.Output(ctx, "ls-remote", "--symref", "--", url, "HEAD")
	if err != nil {
		return ""
	}
	l, err := refs.ParseLsRemote(out)
	if err != nil {
		return ""
	}
	branch, _ := strings.CutPrefix(l.Symrefs["HEAD"], "refs/heads/")
	return branch
}

// originSettings is what a mirror of origin is created with: origin's
// description and homepage, and private unless origin's forge says origin
// is public, so creating a mirror never publishes what was private. An
// origin whose forge cannot be asked gives a private mirror described as
// a mirror of its URL.
func originSettings(ctx context.Context, origin federation.Endpoint, deps Deps) forge.CreateOptions {
	fallback := forge.CreateOptions{Private: true, Description: "Mirror of " + origin.Raw}
	a, err := apiOf(deps.Config, origin)
	if err != nil {
		return fallback
	}
	token, err := deps.token(ctx, deps.Config, a.web)
	if err != nil {
		return fallback
	}
	owner, name := splitRepo(origin.Path)
	r, err := deps.client().GetRepo(ctx, a.forge, a.base, owner, name, token)
	if err != nil {
		return fallback
	}
	return forge.CreateOptions{Private: r.Private, Description: r.Description, Homepage: r.Homepage, DefaultBranch: r.DefaultBranch}
}
