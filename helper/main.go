package helper

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
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
	cfg, err := federation.Load(ctx, "", "")
	if cfg == nil {
		return nil, err
	}
	fed, err := cfg.Resolve(url)
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
	git := gitexec.Runner{
		BusyRetry: gitexec.DefaultDelays(),
		Env:       gitexec.WithCredentialCallback(os.Environ(), exe),
		Stderr:    stderr,
		Redact:    tokensOf(ctx, cfg, fed),
	}
	git = stallLimit(ctx, git, fed, exe)
	return &Session{
		Remote: remote,
		GitDir: gitDir,
		Fed:    fed,
		Git:    git,
		Stderr: stderr,
		Log:    newLogger(stderr),
		P:      i18n.From(ctx),
		Forge:  func(host string) string { return cfg.ForgeOf("https", host) },
	}, nil
}

// tokensOf is a Redactor that knows the tokens the credential callback
// will hand the children for fed's servers.
func tokensOf(ctx context.Context, cfg *federation.Config, fed *federation.Federation) *redact.Redactor {
	var keys []keystore.Key
	for _, e := range append([]federation.Endpoint{fed.Origin}, fed.Mirrors...) {
		if e.HTTP() {
			keys = append(keys, keystore.Key{Protocol: e.Protocol, Host: e.Host})
		}
	}
	return keystore.RedactorFor(ctx, func(host string) string { return cfg.ForgeOf("https", host) }, keys...)
}

// newLogger logs to stderr when GIT_TRACE_FEDERATE (or GIT_TRACE) asks.
func newLogger(stderr io.Writer) *slog.Logger {
	v := os.Getenv("GIT_TRACE_FEDERATE")
	if v == "" || v == "0" || v == "false" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
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
