package helper

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// Main is git-remote-federate: args are the remote name (or URL) and the
// URL after "federate::". It returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 3 && args[0] == DeliverArg {
		return deliver(ctx, args[1], args[2], stderr)
	}
	p := i18n.From(ctx)
	if len(args) != 2 {
		p.Fprintf(stderr, "usage: git-remote-federate <remote> <url>\n\n"+
			"git runs this program for federate:: URLs; see `git federate --help`.\n")
		return 2
	}
	s, err := NewSession(ctx, args[0], args[1], stderr)
	if err != nil {
		p.Fprintf(stderr, "fatal: federate: %s\n", p.Error(err))
		return 1
	}
	if err := s.Serve(ctx, stdin, stdout); err != nil {
		p.Fprintf(stderr, "fatal: federate: %s\n", p.Error(err))
		return 1
	}
	return 0
}

// deliver is the detached process of mirrorPush = background.
func deliver(ctx context.Context, remote, url string, stderr io.Writer) int {
	s, err := NewSession(ctx, remote, url, stderr)
	if err == nil {
		err = s.DeliverMirrors(ctx)
	}
	if err != nil {
		p := i18n.From(ctx)
		p.Fprintf(stderr, "federate: background push to the mirrors: %s\n", p.Error(err))
		return 1
	}
	return 0
}

// NewSession resolves url (a federation name or an origin URL) from git
// config and prepares the environment children run with.
func NewSession(ctx context.Context, remote, url string, stderr io.Writer) (*Session, error) {
	gitDir := os.Getenv("GIT_DIR")
	// A mistake in another federation's config is not this session's
	// problem: Resolve reports it only if it is the one asked for.
	// The same git config run reads git's http, url, credential and protocol
	// sections, which decide how each server is pushed to: a push ran
	// git config again for them, in the children's environment, which
	// adds only the credential callback's credential.helper entries, and
	// httpx.Resolve reads no helper.
	// So do the keys that say whether the server's words are coloured.
	also := append(append(lfsKeys(remote), httpx.ConfigSections()...), gitexec.ColorKeys(remoteColorKey)...)
	cfg, others, err := federation.LoadWith(ctx, gitexec.Runner{}, nil, also...)
	if cfg == nil {
		return nil, err
	}
	fed, err := cfg.Resolve(url, gitDir)
	if err != nil {
		return nil, err
	}
	env, err := serving(os.Environ(), fed)
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, i18n.Errorf("finding own executable for the credential callback: %w", err)
	}
	if gitDir != "" {
		if gitDir, err = filepath.Abs(gitDir); err != nil {
			return nil, err
		}
	}
	red, slots := credentials(ctx, cfg, fed, exe)
	git := gitexec.Runner{
		BusyRetry: gitexec.DefaultDelays(),
		Env:       gitexec.WithCredentialCallback(env, exe),
		Stderr:    stderr,
		Redact:    red,
		Slots:     func(url string) *gitexec.Slot { return slots[url] },
	}
	git = stallLimit(ctx, git, fed, exe)
	s := &Session{
		Remote:  remote,
		GitDir:  gitDir,
		Fed:     fed,
		Git:     git,
		Stderr:  stderr,
		Log:     gitexec.TraceLogger(stderr, os.Getenv),
		P:       i18n.From(ctx),
		Forge:   func(host string) string { return cfg.ForgeOf("https", host) },
		ForgeAt: cfg.ForgeOf,

		lfsConfig:   configValues(others),
		startConfig: others,
		startRead:   true,
	}
	return s, nil
}

// ServingEnv lists, one per line, the servers (normalised URLs) that the
// helpers above a process serve: a helper's children inherit it.
const ServingEnv = "FEDERATE_SERVING"

// serving checks that fed is not being served already by a helper above
// this one, and returns env with fed's servers added to ServingEnv for
// the children. Children reach servers by their plain URL
// (gitexec.PlainURL), so a helper started under another one for the
// same server is a loop (a federation whose server leads back to
// federate::): it stops at once, in one line, instead of starting
// helpers without end.
func serving(env []string, fed *federation.Federation) ([]string, error) {
	var above []string
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, ServingEnv+"="); ok {
			above = strings.Split(v, "\n")
			continue
		}
		out = append(out, kv)
	}
	if slices.Contains(above, fed.Origin.Normalized()) {
		return nil, i18n.Errorf("%s is already being served by the federate helper that started this one: "+
			"something leads its own children back to federate:: (a url.<base>.insteadOf rule or a federation's server); not starting another", fed.Origin.Raw)
	}
	for _, e := range fed.Servers() {
		if n := e.Normalized(); !slices.Contains(above, n) {
			above = append(above, n)
		}
	}
	return append(out, ServingEnv+"="+strings.Join(above, "\n")), nil
}

// credentials looks up the token of each http(s) server of fed once:
// the Redactor knows them (a server may echo one back), and each server's
// slot holds its credential for the children (gitexec.Slot), so that git
// gets it without calling this program back. Servers without a token get
// an empty slot, where a password typed at git's prompt is kept for the
// session. Slots are keyed by the server's URL as given to children.
func credentials(ctx context.Context, cfg *federation.Config, fed *federation.Federation, exe string) (*redact.Redactor, map[string]*gitexec.Slot) {
	forge := func(host string) string { return cfg.ForgeOf("https", host) }
	usernames := keystore.ForgeUsernames(forge)
	h := keystore.Helper{Store: keystore.Default(keystore.Options{Getenv: os.Getenv, Forge: forge}), Usernames: usernames}
	red := redact.New()
	slots := map[string]*gitexec.Slot{}
	byKey := map[string]*gitexec.Slot{}
	for _, e := range fed.Servers() {
		if !e.HTTP() {
			continue
		}
		k := keystore.Key{Protocol: e.Protocol, Host: e.Host}
		if slot, ok := byKey[k.URL()]; ok {
			slots[e.Raw] = slot
			continue
		}
		slot, err := gitexec.NewSlot(k.URL(), exe)
		if err != nil {
			slot = nil // children call back instead
		}
		byKey[k.URL()], slots[e.Raw] = slot, slot
		cred, err := h.Answer(ctx, k)
		if err != nil || cred.Token == "" {
			continue
		}
		red.Add(keystore.DefaultUsername, cred.Token)
		red.Add(cred.Username, cred.Token)
		if u, err := usernames(k); err == nil {
			red.Add(u, cred.Token)
		}
		if slot != nil && slot.Put(cred.Username, cred.Token) != nil {
			slots[e.Raw] = nil
		}
	}
	for raw, slot := range slots {
		if slot == nil {
			delete(slots, raw)
		}
	}
	return red, slots
}

// stallLimit applies the federation's timeout to every child: to its
// http transport, and to its ssh through this program (exe) when a
// server of fed is reached over ssh. With no timeout configured, git's
// own behaviour stays; with a config that cannot be read (git's children
// will say so), ssh is left to git.
func stallLimit(ctx context.Context, g gitexec.Runner, fed *federation.Federation, exe string) gitexec.Runner {
	if fed.Timeout <= 0 {
		return g
	}
	if fed.HasSSH() {
		if sg, err := g.WithStallLimit(ctx, fed.Timeout, fed.TimeoutKey(), exe); err == nil {
			return sg.WithServerLimits(fed.GitLimits())
		}
	}
	g, _ = g.WithStallLimit(ctx, fed.Timeout, fed.TimeoutKey(), "") // reads nothing: cannot fail
	return g.WithServerLimits(fed.GitLimits())
}
