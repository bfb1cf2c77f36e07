package helper

import (
	"context"
	"net/url"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/internal/transport/child"
	"github.com/git-remote-federate/git-remote-federate/internal/transport/direct"
	"github.com/git-remote-federate/git-remote-federate/internal/transport/relay"
	"github.com/git-remote-federate/git-remote-federate/keystore"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// How each server is reached is transport.Choose's decision alone; this
// file gathers what it decides from (the server, git's configuration,
// the token, the listing, the push's options) and traces its answer.

// reached is one server of this push and the connection transport.Choose
// picked for it, opened by reach.
type reached struct {
	ready  chan struct{} // closed once the fields below are set (a mirror listed meanwhile)
	cancel context.CancelFunc
	packs  *direct.Packs // a mirror's, shared with the others pushed by this process
	srv    federation.Endpoint
	server transport.Server // what chose the way
	conn   transport.Conn
	// listing is the server's refs as every listing of the helper has
	// them; nil when it was not listed ahead (a mirror a child pushes).
	listing *serverRefs
	// err is why the listing failed: a direct connection's push then
	// fails with it (that is the server's reason); another way's push
	// goes through a child git, which says why in its words.
	err error
}

// reach fills r with how server m is reached for this push, from
// transport.Choose alone, and lists it unless a child git pushes to a
// mirror: this process lists m when Choose says so (with its token up
// front), then asks Choose again with how that listing went; else a
// relay to git's http helper, kept for the push, or a child git. up,
// when set, runs as soon as the way is settled and m is answering (the
// origin's mirrors start listing then).
func (s *Session) reach(ctx context.Context, r *reached, m federation.Endpoint, origin, background bool, up func()) {
	r.srv = m
	srv, d := s.directServer(ctx, m, origin, background, r.packs)
	r.server = srv
	ch := s.choose(m, srv, transport.Listing{}, transport.List)
	if ch.Way == transport.Direct {
		listed, err := d.List(ctx)
		if ch = s.choose(m, srv, d.Listing(), transport.List); ch.Way == transport.Direct {
			r.conn, r.err = d, err
			if err == nil {
				r.listing = &serverRefs{Server: m, Listing: listed}
				if up != nil {
					up()
				}
			}
			return
		}
	}
	r.conn = s.open(m, ch.Way, origin, up)
	if ch.Way == transport.Child && !origin {
		return // pushed without a listing ahead
	}
	if ch.Way == transport.Child && up != nil {
		up()
	}
	listed, err := r.conn.List(ctx)
	if err != nil {
		r.err = err
		return
	}
	r.listing = &serverRefs{Server: m, Listing: listed}
}

// forPush is the connection the push to r's server goes through, once
// the push's options are known (transport.Choose, phase Push): r's own,
// or for a server listed by this process whose push needs git's
// transport, a relay started now (the origin: it lists again) or a child
// git (a mirror). A mirror whose relay could not list it is pushed by a
// child git, which says why in its words.
func (s *Session) forPush(ctx context.Context, r *reached) transport.Conn {
	origin := r.server.Origin
	switch {
	case r.conn.Way() == transport.Relay && r.err != nil && !origin:
		return s.open(r.srv, transport.Child, false, nil)
	case r.conn.Way() != transport.Direct || r.err != nil:
		return r.conn
	}
	d := r.conn.(*direct.Conn)
	ch := s.choose(r.srv, r.server, d.Listing(), transport.Push)
	if ch.Way == transport.Direct {
		return d
	}
	c := s.open(r.srv, ch.Way, origin, nil)
	if ch.Way == transport.Relay {
		c.List(ctx) // its error is the push's
	}
	return c
}

// open is the connection to m the way way says, other than this
// process's (directServer builds that one: it needs the token). The
// origin's shows git's progress and the server's words to the user as a
// plain push does; a mirror's keeps them for its report, and its relay
// yields the CPU to the origin's.
func (s *Session) open(m federation.Endpoint, way transport.Way, origin bool, up func()) transport.Conn {
	if way == transport.Relay {
		g := s.Git.ForServer(m.Raw)
		g.Env = s.childEnv()
		cfg := relay.Config{Git: g, Remote: s.remoteName(m), Scheme: m.Protocol, URL: m.Raw, Redact: s.Git.Redact,
			ListLimit: s.listLimitOf(m), Up: up, Explain: s.explain, Rewinds: s.rewinds, P: s.P}
		if origin {
			cfg.Options, cfg.Show, cfg.Stderr = s.childOptions(), true, s.Stderr
		} else {
			cfg.Options, cfg.Started = s.mirrorListOptions(), yieldCPU
		}
		return relay.New(cfg)
	}
	cfg := child.Config{URL: m.Raw, Git: s.Git, Repo: s.child(), ListLimit: s.listLimitOf(m),
		Explain: s.explain, ExplainRead: s.explainRead, P: s.P}
	if origin {
		cfg.Stderr = s.Stderr
	}
	return child.New(cfg)
}

// mirrorListOptions are the options of a mirror's relay: no progress.
func (s *Session) mirrorListOptions() []protocol.ClientOption {
	opts := []protocol.ClientOption{{Name: "progress", Value: "false"}}
	if s.opts.Family != "" {
		opts = append(opts, protocol.ClientOption{Name: "family", Value: s.opts.Family})
	}
	return opts
}

// rewinds reports whether moving a ref from old to new is not a fast
// forward (gitexec.Runner.Rewinds in the local repository).
func (s *Session) rewinds(ctx context.Context, old, new string) bool {
	g := s.child()
	g.Stderr = nil
	ctx, cancel := context.WithTimeout(ctx, ListTimeout)
	defer cancel()
	return g.Rewinds(ctx, old, new)
}

// choose is transport.Choose for m with this push's options, traced.
func (s *Session) choose(m federation.Endpoint, srv transport.Server, l transport.Listing, at transport.Phase) transport.Choice {
	o := s.opts
	ch := transport.Choose(srv, transport.Options{DryRun: o.DryRun, Atomic: o.Atomic, PushOptions: len(o.PushOptions) > 0,
		Signed: o.Signed != "", ForceIfIncludes: o.ForceIfIncludes, LeaseWithoutValue: o.Leases.WithoutValue()}, l, at)
	if s.Log != nil {
		s.Log.Debug("transport", "server", m.Raw, "origin", srv.Origin, "way", ch.Way.String(), "why", ch.Reason)
	}
	return ch
}

// forbidden reports whether git's protocol policy forbids reaching m
// (httpx.ProtocolAllowed), as the push's transport.Server says it.
func (s *Session) forbidden(ctx context.Context, m federation.Endpoint) bool {
	entries, _ := s.transportConfig(ctx) // unreadable: git's transport reads it, or says why
	return m.HTTP() && !httpx.ProtocolAllowed(entries, gitexec.Getenv(s.Git.Env), m.Protocol)
}

// directServer is what transport.Choose knows of m before anything is
// sent, and the client that reaches m from this process when it may.
// The facts are gathered in Choose's order and no further than one that
// rules this process out: a keyring is not asked for a server git's
// transport is to reach anyway. What the client can apply of git's http
// configuration (proxy, TLS, extra headers, cookies, user agent,
// low-speed limit) it applies as git would; the rest is Unhonoured.
func (s *Session) directServer(ctx context.Context, m federation.Endpoint, origin, background bool, packs *direct.Packs) (transport.Server, *direct.Conn) {
	srv := transport.Server{Origin: origin, Background: background, HTTP: m.HTTP()}
	tokenKnown := false
	ruledOut := func() bool { // a token not looked up yet counts as there
		probe := srv
		probe.Token = srv.Token || !tokenKnown
		return transport.Choose(probe, transport.Options{}, transport.Listing{}, transport.List).Way != transport.Direct
	}
	if ruledOut() {
		return srv, nil
	}
	entries, err := s.transportConfig(ctx)
	if err != nil {
		srv.Unhonoured = []string{"config"} // unreadable: git's transport reads it, or says why
	}
	settings := httpx.Resolve(entries, gitexec.Getenv(s.Git.Env), m.Raw)
	srv.Forbidden = settings.Forbidden
	srv.Unhonoured = append(srv.Unhonoured, settings.Unhonoured...)
	u, err := url.Parse(m.Raw)
	if err != nil {
		srv.Unusable = "unparsable URL"
	}
	srv.UserInURL = err == nil && u.User != nil
	if ruledOut() {
		return srv, nil
	}
	k := keystore.Key{Protocol: m.Protocol, Host: m.Host}
	cred, err := keystore.Default(keystore.Options{Getenv: gitexec.Getenv(s.Git.Env), Forge: s.Forge}).Get(ctx, k)
	user := cred.Username
	if err == nil && cred.Token != "" && user == "" {
		user, err = keystore.ForgeUsernames(s.Forge)(k) // else git's transport says what to configure
	}
	srv.Token, tokenKnown = err == nil && cred.Token != "" && user != "", true
	if ruledOut() {
		return srv, nil
	}
	s.Git.Redact.Add(user, cred.Token)
	stall, stallKey := s.Fed.TimeoutOf(m) // the server's own limit, else the federation's
	c, err := sendpack.New(sendpack.Config{URL: m.Raw, User: user, Token: cred.Token, Clean: s.Git.Redact,
		Stall: stall, StallKey: stallKey, HTTP: settings})
	if err != nil {
		srv.Unusable = err.Error()
		return srv, nil
	}
	// The client reads its TLS settings at its first request that needs
	// them; a CA file or certificate it cannot read is git's transport's
	// to report, as before anything is sent. Read now, they serve the push.
	if err := c.CheckTLS(); err != nil {
		srv.Unusable = err.Error()
		return srv, nil
	}
	return srv, direct.New(s.directConfig(c, m, origin, packs))
}

// directConfig is what the direct client of m needs from the session.
// The origin's push is shown on the user's terminal and makes its own
// pack; a mirror's shares packs with the others.
func (s *Session) directConfig(c *sendpack.Client, m federation.Endpoint, origin bool, packs *direct.Packs) direct.Config {
	g := s.child()
	g.Stderr = nil
	cfg := direct.Config{Client: c, URL: m.Raw, Git: g, GitDir: s.GitDir, ListLimit: s.listLimitOf(m),
		Explain: s.explain, P: s.P, Clean: s.Git.Redact.Clean}
	if !origin {
		cfg.Packs = packs
		return cfg
	}
	cfg.Stderr, cfg.Terminal, cfg.Color = s.Stderr, s.stderrTerminal(), s.remoteColor
	return cfg
}

// httpSettings is git's http configuration for rawURL (httpx.Resolve),
// for the clients that cannot hand a server to git's transport (LFS): the
// environment's alone when git config cannot be read.
func (s *Session) httpSettings(ctx context.Context, rawURL string) httpx.Settings {
	entries, _ := s.transportConfig(ctx)
	return httpx.Resolve(entries, gitexec.Getenv(s.Git.Env), rawURL)
}

// transportConfig is git config's sections that decide how a server is
// reached (httpx.ConfigSections), for httpx.Resolve: what NewSession
// read (Resolve reads those sections alone), else read once here.
func (s *Session) transportConfig(ctx context.Context) ([]gitexec.ConfigEntry, error) {
	if s.startRead {
		return s.startConfig, nil
	}
	s.configOnce.Do(func() {
		g := s.child()
		g.Stderr = nil
		ctx, cancel := context.WithTimeout(ctx, ListTimeout)
		defer cancel()
		s.transportCfg, s.transportCfgErr = httpx.ReadConfig(ctx, g, false)
	})
	return s.transportCfg, s.transportCfgErr
}

// newPacks are the packs the mirrors pushed from this process share.
func (s *Session) newPacks(ctx context.Context) *direct.Packs {
	g := s.child()
	g.Stderr = nil
	return direct.NewPacks(ctx, g, s.GitDir)
}

// remoteColorKey is git's key of the colour of the server's words.
const remoteColorKey = "color.remote"

// remoteColor reports whether git colours the server's words on a
// terminal (color.remote, else color.ui; on by default): from the keys
// NewSession read, else (a number, a value git alone reads, or a session
// made otherwise) as git answers.
func (s *Session) remoteColor(ctx context.Context) bool {
	if on, known := gitexec.ColorOn(s.startConfig, remoteColorKey); known && s.startRead {
		return on
	}
	g := s.child()
	g.Stderr = nil
	ctx, cancel := context.WithTimeout(ctx, ListTimeout)
	defer cancel()
	out, err := g.Output(ctx, "config", "--get-colorbool", remoteColorKey, "true")
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

// stderrTerminal reports whether the user's stderr is a terminal that
// understands escapes, as git's sideband.c asks (isatty, TERM set and
// not "dumb").
func (s *Session) stderrTerminal() bool {
	f, ok := s.Stderr.(*os.File)
	t := gitexec.Getenv(s.Git.Env)("TERM")
	return ok && t != "" && t != "dumb" && term.IsTerminal(int(f.Fd()))
}
