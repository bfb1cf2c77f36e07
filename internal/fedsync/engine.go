// Package fedsync keeps the mirrors of a federation up to date from its
// origin without a working copy: one bare cache per federation, fetched
// from origin only when origin's refs changed, then one `git push` per
// mirror, mirrors in parallel. It also answers `git federate status`
// and runs `sync --daemon`.
package fedsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// DefaultJobs is how many git network commands run at once by default.
const DefaultJobs = 4

// DefaultLockWait is how long a sync waits for another sync of the same
// federation to finish before it reports ErrBusy.
const DefaultLockWait = 2 * time.Minute

// Timeouts of the network commands; each mirror gets its own.
const (
	ListTimeout  = 2 * time.Minute
	FetchTimeout = 2 * time.Hour
	PushTimeout  = 2 * time.Hour
)

// Config is what an Engine is built from.
type Config struct {
	// Git runs every git command; its Env should carry the credential
	// callback (gitexec.WithCredentialCallback). Dir is ignored.
	Git gitexec.Runner
	// CacheRoot holds <name>.git caches and <name>.lock files;
	// "" is DefaultCacheRoot().
	CacheRoot string
	// Jobs bounds the git network commands (ls-remote, fetch, push) that
	// run at once across all federations; 0 is DefaultJobs.
	Jobs int
	// Slots, when set, is the bound of Jobs shared with other engines (a
	// daemon's, one for each reading of the config); nil: its own.
	Slots chan struct{}
	// LockWait is how long to wait for another sync of the same
	// federation; 0 is DefaultLockWait, negative is not at all.
	LockWait time.Duration
	// Progress receives one line per step of long work (stderr); nil
	// is silent.
	Progress io.Writer
	// Printer says the progress lines in the user's language; nil is
	// English.
	Printer *i18n.Printer
	// Repo, when set, is a directory in the repository sync runs in:
	// what its pushes queued for a mirror is settled once sync has
	// brought that mirror up to date.
	Repo string
	// RepoLookup, when set, is the lookup of Repo the caller started
	// (StartRepoLookup, with Git): nil, the engine starts it when a
	// federation first needs it.
	RepoLookup *RepoLookup
	// Exe is this program: when set, the git children that reach a
	// server over ssh run it as their ssh command, which gives up a
	// server that stops answering for its federation's timeout
	// (gitexec.WithStallLimit).
	Exe string
	// Federations gives each host's forge, through which a missing
	// mirror is created when its federation has createMissing set; nil
	// means only the well-known hosts.
	Federations *federation.Config
	// HostJobs bounds the in-process listings in flight to one host;
	// 0 is DefaultHostJobs (never more than Jobs).
	HostJobs int
	// TransportConfig, when TransportConfigGiven, is git config's http,
	// url, credential and protocol sections as the engine would read them (in Repo,
	// with Git's environment, each with its scope): the caller read them
	// in its own `git config` run, and the engine runs none for them.
	TransportConfig      []gitexec.ConfigEntry
	TransportConfigGiven bool
	// Tokens is the token chain the in-process listings ask, once per
	// host for the engine (a keystore.Memo the caller shares with what
	// else it asks); nil is keystore.Default over Git's environment.
	Tokens keystore.Getter
}

// Engine runs status and sync. It is safe for concurrent use.
type Engine struct {
	cfg Config
	sem chan struct{}
	pmu sync.Mutex // serialises progress lines

	sshOnce sync.Once
	sshGit  gitexec.Runner // cfg.Git with the ssh callback, for federations with ssh servers
	sshErr  error

	lister      *lister
	gitListings atomic.Int64 // listings by a git child

	configOnce sync.Once
	config     []gitexec.ConfigEntry
	configErr  error

	repoOnce sync.Once
	repo     *RepoLookup // of cfg.Repo

	repoNetOnce sync.Once
	repoNet     []gitexec.ConfigEntry // repoTransport's
}

// Close ends what the engine keeps between listings: its workers and
// the connections kept alive to the servers it listed. The engine is
// done then: a listing after Close has no worker to run it.
func (e *Engine) Close() {
	if e.lister != nil {
		e.lister.close()
	}
}

// New returns an Engine for cfg.
func New(cfg Config) (*Engine, error) {
	if cfg.CacheRoot == "" {
		root, err := DefaultCacheRoot()
		if err != nil {
			return nil, err
		}
		cfg.CacheRoot = root
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = DefaultJobs
	}
	if cfg.LockWait == 0 {
		cfg.LockWait = DefaultLockWait
	}
	cfg.Git.Dir = ""
	cfg.Git.Env = childEnv(cfg.Git.Env)
	if cfg.HostJobs <= 0 {
		cfg.HostJobs = DefaultHostJobs
	}
	cfg.HostJobs = min(cfg.HostJobs, cfg.Jobs)
	if cfg.Git.Redact == nil {
		cfg.Git.Redact = redact.New()
	}
	e := &Engine{cfg: cfg, sem: cfg.Slots}
	if e.sem == nil {
		e.sem = make(chan struct{}, cfg.Jobs)
	}
	e.lister = &lister{jobs: cfg.Jobs,
		getenv: gitexec.Getenv(cfg.Git.Env), forge: e.forgeOf, clean: cfg.Git.Redact, delays: cfg.Git.BusyRetry,
		config: e.transportConfig, creds: map[keystore.Key]*credential{},
		clients: map[string]*httpx.Client{}, chosen: map[serverKey]*httpx.Client{},
		work: newQueue(cfg.HostJobs), tokens: cfg.Tokens}
	if e.lister.tokens == nil {
		e.lister.tokens = keystore.Default(keystore.Options{Getenv: e.lister.getenv, Forge: e.forgeOf})
	}
	return e, nil
}

// childEnv is the environment of the engine's git children: env (nil:
// this process's) less the variables that name a repository. The cache
// is the only repository sync works in: a GIT_DIR inherited from a hook
// or a remote helper must not redirect its commands.
func childEnv(env []string) []string {
	if env == nil {
		env = os.Environ()
	}
	return gitexec.WithoutRepoEnv(env)
}

// transportConfig reads, once per engine, git config's http, url,
// credential and protocol sections, which decide whether a server is listed
// in-process; those the caller gave, when it did.
func (e *Engine) transportConfig(ctx context.Context) ([]gitexec.ConfigEntry, error) {
	e.configOnce.Do(func() {
		if e.cfg.TransportConfigGiven {
			e.config = e.cfg.TransportConfig
			return
		}
		g := e.runner(nil, e.cfg.Repo, ListTimeout)
		ctx, cancel := context.WithTimeout(ctx, ListTimeout)
		defer cancel()
		e.config, e.configErr = httpx.ReadConfig(ctx, g, true)
	})
	return e.config, e.configErr
}

// httpSettings gives git's http settings for a URL as the listings read
// them: what the engine's other clients (LFS, forge APIs) go by.
func (e *Engine) httpSettings(ctx context.Context) httpx.SettingsFor {
	entries, _ := e.transportConfig(ctx) // none readable: what the environment says
	return httpx.ResolverOf(entries, e.lister.getenv)
}

// forgeOf names the forge of an https host, for its token variable.
func (e *Engine) forgeOf(host string) string {
	if e.cfg.Federations == nil {
		return ""
	}
	return e.cfg.Federations.ForgeOf("https", host)
}

// Jobs is the engine's bound on concurrent network commands.
func (e *Engine) Jobs() int { return e.cfg.Jobs }

// CachePath is where the cache of federation name lives.
func (e *Engine) CachePath(name string) string {
	return filepath.Join(e.cfg.CacheRoot, cacheBase(name)+".git")
}

func (e *Engine) lockPath(name string) string {
	return filepath.Join(e.cfg.CacheRoot, cacheBase(name)+".lock")
}

// progressf is progress for a printf-like callback (fedset's warnings);
// a format with no translation is said in English.
func (e *Engine) progressf(format string, a ...any) { e.progress(i18n.M(format, a...)) }

func (e *Engine) progress(m i18n.Msg) {
	if e.cfg.Progress == nil {
		return
	}
	e.pmu.Lock()
	defer e.pmu.Unlock()
	fmt.Fprintln(e.cfg.Progress, m.Localize(e.cfg.Printer))
}

// net runs fn holding one of the Jobs slots.
func (e *Engine) net(ctx context.Context, fn func() error) error {
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-e.sem }()
	return fn()
}

// runner returns the engine's git runner inside dir with its own timeout,
// giving up a server of f that stops answering for f's timeout (f nil:
// a local command, git's own limits).
func (e *Engine) runner(f *federation.Federation, dir string, timeout time.Duration) gitexec.Runner {
	g := e.cfg.Git
	if f != nil && f.Timeout > 0 {
		exe := ""
		if f.HasSSH() && e.cfg.Exe != "" {
			if sg, err := e.sshRunner(); err == nil {
				g, exe = sg, e.cfg.Exe
			}
		}
		// With the ssh command already found, this reads no config.
		g, _ = g.WithStallLimit(context.Background(), f.Timeout, f.TimeoutKey(), exe)
		g = g.WithServerLimits(f.GitLimits())
	}
	if dir != "" && dir != e.cfg.Repo {
		g.Env = gitexec.WithRepositoryConfig(g.Env, e.repoTransport())
	}
	g.Dir = dir
	g.Stderr = nil // captured into errors; progress is ours
	g.Timeout = timeout
	return g
}

// repoTransport is the part of git's transport settings (the sections
// of httpx.ConfigSections, less credential helpers) that the repository
// sync runs in sets in its own config (local and worktree scope), read
// once. git in a cache reads the system's and the user's config but not
// that repository's, where the listings and `git ls-remote` read them:
// given these, it reaches the servers the same way (an http.proxy, say).
// The credential helper stays this program alone. They are picked from
// transportConfig's entries, which carry their scope: no git runs for
// them.
func (e *Engine) repoTransport() []gitexec.ConfigEntry {
	e.repoNetOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ListTimeout)
		defer cancel()
		entries, _ := e.transportConfig(ctx) // none readable: none to give
		for _, en := range entries {
			if (en.Scope == "local" || en.Scope == "worktree") && !credentialHelper(en.Key) {
				e.repoNet = append(e.repoNet, en)
			}
		}
	})
	return e.repoNet
}

// credentialHelper reports whether key is credential.helper or
// credential.<url>.helper.
func credentialHelper(key string) bool {
	section, rest, _ := strings.Cut(key, ".")
	i := strings.LastIndexByte(rest, '.')
	return strings.EqualFold(section, "credential") && strings.EqualFold(rest[i+1:], "helper")
}

// sshRunner is cfg.Git with the ssh callback set up, the user's ssh
// command found once (GIT_SSH_COMMAND, core.sshCommand, GIT_SSH, ssh)
// as a git child in cfg.Repo would find it. A config that cannot be
// read leaves ssh to git: its servers then have git's limits only.
func (e *Engine) sshRunner() (gitexec.Runner, error) {
	e.sshOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ListTimeout)
		defer cancel()
		g := e.cfg.Git
		g.Dir = e.cfg.Repo
		e.sshGit, e.sshErr = g.WithStallLimit(ctx, time.Second, "", e.cfg.Exe)
	})
	return e.sshGit, e.sshErr
}

// listRefs lists ep, a server of f, for service (sendpack.UploadPack or
// ReceivePack): in-process when it can, retrying a busy server with the
// busy policy of gitexec (at least as long as it asks in Retry-After),
// else with `git ls-remote`. A listing is one small answer: the server's
// timeout (its own, or f's) bounds each attempt, and a server that does
// not answer in time is named with the config key that sets it.
func (e *Engine) listRefs(ctx context.Context, f *federation.Federation, ep federation.Endpoint, service string) (*refs.Listing, error) {
	var first listed
	var wg sync.WaitGroup
	e.startListing(ctx, &wg, &first, f, ep, service, nil)
	wg.Wait()
	return e.finishListing(ctx, f, ep, service, first)
}

// startListing starts the in-process listing of ep (lister.start) with
// client, the one chosen for it (nil: chosen here); out is errUseGit for
// a server git lists.
func (e *Engine) startListing(ctx context.Context, wg *sync.WaitGroup, out *listed, f *federation.Federation, ep federation.Endpoint, service string, client *httpx.Client) {
	e.lister.start(ctx, wg, out, ep, service, limitOf(f, ep), client)
}

// finishListing takes a listing on from its first in-process attempt,
// first: a busy server is retried, one git lists is listed by `git
// ls-remote`, and a failure says what to do.
func (e *Engine) finishListing(ctx context.Context, f *federation.Federation, ep federation.Endpoint, service string, first listed) (*refs.Listing, error) {
	if first.err == nil {
		return first.refs, nil
	}
	limit := limitOf(f, ep)
	url := ep.Raw
	listed, err := e.lister.retry(ctx, ep, service, limit, first)
	if !errors.Is(err, errUseGit) {
		if err != nil {
			return nil, i18n.Errorf("listing %s: %w", url, e.explain(ctx, err, url))
		}
		return listed, nil
	}
	e.gitListings.Add(1)
	err = e.net(ctx, func() error {
		g, plain := e.runner(f, e.cfg.Repo, limit.d).Plain(url) // where the listings read their settings
		out, err := g.LsRemote(ctx, plain)
		if err != nil {
			return err
		}
		listed, err = refs.ParseLsRemote(out)
		return err
	})
	if err != nil {
		return nil, i18n.Errorf("listing %s: %w", url, e.explain(ctx, err, url))
	}
	return listed, nil
}

// listLimit bounds each attempt at listing a server of a federation.
type listLimit struct {
	d time.Duration
	f *federation.Federation // nil: ListTimeout, set by no key
}

// limitOf is the limit of listing ep: its timeout or f's, else
// ListTimeout.
func limitOf(f *federation.Federation, ep federation.Endpoint) listLimit {
	if d := f.LimitOf(ep); d > 0 {
		return listLimit{d: d, f: f}
	}
	return listLimit{d: ListTimeout}
}

// key is the config key that sets the limit of listing ep ("" for
// ListTimeout), for the error of a server that does not answer in time:
// found only then.
func (l listLimit) key(ep federation.Endpoint) string {
	if l.f == nil {
		return ""
	}
	_, k := l.f.TimeoutOf(ep)
	return k
}

// explain says what to do when a server stayed busy through every retry
// or refused the credentials (a token revoked or expired: log in again;
// a Gitee without the account name: set it); other failures keep git's
// own words.
func (e *Engine) explain(ctx context.Context, err error, url string) error {
	kind := gitexec.Classify(err)
	if kind != gitexec.KindBusy && kind != gitexec.KindAuth && kind != gitexec.KindNoWrite {
		return err
	}
	acct := e.account(ctx, url)
	if kind == gitexec.KindNoWrite && (acct.Forge != "gitee" || acct.Named) {
		return err
	}
	return gitexec.ExplainAs(err, url, acct)
}

// account is what the hints know of the account used at url: its forge
// by the URL's protocol and host, and whether a Gitee's account is named.
func (e *Engine) account(ctx context.Context, url string) gitexec.Account {
	ep, err := federation.ParseEndpoint(url)
	if err != nil {
		return gitexec.Account{}
	}
	return keystore.HintAccount(ctx, e.cfg.Federations.ForgeOf(ep.Protocol, ep.Host), e.cfg.Git.Git, "", url, e.cfg.Git.Env)
}
