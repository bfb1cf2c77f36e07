// Package helper is one remote-helper session: git runs
// `git-remote-federate <remote> <url>` and talks gitremote-helpers(7) on
// its stdin and stdout. Refs come from the origin; pushes go to the origin
// and then fan out to every mirror.
package helper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/internal/transport/direct"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// Session is one conversation with git about one federation.
type Session struct {
	// Remote is the remote's name, or the URL when git has no name for it.
	Remote string
	// GitDir is the local repository ($GIT_DIR).
	GitDir string
	// Fed is the federation the URL resolved to.
	Fed *federation.Federation
	// Git runs git children. Its Env must already carry the credential
	// callback (gitexec.WithCredentialCallback) and its Stderr is the
	// user's terminal.
	Git gitexec.Runner
	// Stderr is where messages for the user go.
	Stderr io.Writer
	// Log is for debug tracing (GIT_TRACE-like); never tokens.
	Log *slog.Logger
	// P says messages in the user's language; nil is English.
	P *i18n.Printer

	// Forge names the forge of a host, for the username sent with its
	// token; nil means none is known.
	Forge func(host string) string
	// ForgeAt names the forge of a server by its URL's protocol and
	// host, for the hints after a refusal; nil means none is known.
	ForgeAt func(protocol, host string) string

	opts Options
	// transportCfg is git config's http, url, credential and protocol keys, read
	// once (configOnce) to choose how each mirror is pushed, by a session
	// that did not read them at its start (startRead).
	configOnce      sync.Once
	transportCfg    []gitexec.ConfigEntry
	transportCfgErr error
	// startConfig is what NewSession's one git config run read beside
	// the federations (startRead): the keys of lfsKeys,
	// httpx.ConfigSections and gitexec.ColorKeys. A session made
	// otherwise asks git when it needs them.
	startConfig []gitexec.ConfigEntry
	startRead   bool
	packs       *direct.Packs       // the shared packs of the mirrors listed by this process, from the listing to the end of the fan-out
	listing     *serverRefs         // the last list answer, from the server that gave it
	conns       map[string]*reached // the servers of this push, by URL, as reach opened them
	// lfsConfig holds, by key in git's canonical form, the values (every
	// scope, git's order) of the keys pointLFS reads: read with the
	// federations (lfsKeys) and kept current by pointLFS's own writes,
	// where a `git config --get` each cost a process. Used from the serve
	// loop only.
	lfsConfig map[string][]string
	// lfsUsed caches lfs.UsesLFS by set of tips (Session.usesLFS).
	lfsMu   sync.Mutex
	lfsUsed map[string]bool
	fetchState
}

// Options holds what git set with "option" commands.
type Options struct {
	Progress          bool
	Verbosity         int
	Depth             string
	DeepenSince       string
	DeepenNot         []string
	DeepenRelative    bool
	FollowTags        bool
	Cloning           bool
	CheckConnectivity bool
	UpdateShallow     bool
	Filter            string
	Family            string
	DryRun            bool
	Atomic            bool
	PushOptions       []string
	Leases            transport.Leases // "option cas", parsed once
	// BadLease is a "cas" git's send-pack would not take: the push
	// is refused as a whole, as git's transport refuses it, since git
	// ignores the option's error and sends the push anyway.
	BadLease        error
	ForceIfIncludes bool
	Signed          string // "", "true", "if-asked"
}

// Capabilities is what the helper announces. stateless-connect gives git
// its native protocol-v2 fetch over https; other transports fall back to
// list and fetch.
var Capabilities = []string{"stateless-connect", "fetch", "push", "option", "check-connectivity", "object-format"}

// Serve reads commands from r and writes replies to w until git closes
// the stream. It is the only loop of the helper.
func (s *Session) Serve(ctx context.Context, r io.Reader, w io.Writer) error {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	s.opts.Progress = true
	s.opts.Verbosity = 1
	defer s.closeConns()
	s.reportBackground(s.Stderr)
	pr := protocol.NewReader(r)
	pw := protocol.NewWriter(w)
	for {
		cmd, err := pr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		s.Log.Debug("command", "type", fmt.Sprintf("%T", cmd))
		switch c := cmd.(type) {
		case protocol.End:
			return nil
		case protocol.Capabilities:
			err = pw.Capabilities(Capabilities...)
		case protocol.Option:
			err = s.option(c, pw)
		case protocol.List:
			err = s.list(ctx, c.ForPush, pw)
		case protocol.Fetch:
			err = s.fetch(ctx, c, pw)
		case protocol.Push:
			err = s.push(ctx, c, pw)
		case protocol.Connect:
			var done bool
			done, err = s.connect(ctx, c, pr, pw, w)
			if done {
				return err
			}
		}
		if err != nil {
			return err
		}
	}
}
