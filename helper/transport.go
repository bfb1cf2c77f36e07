package helper

import (
	"context"
	"errors"
	"net/url"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// How each server is reached is transport.Choose's decision alone; this
// file gathers what it decides from (the server, git's configuration,
// the token, the listing, the push's options) and traces its answer.

// directMirror is a server listed by this process.
type directMirror struct {
	client *sendpack.Client
	adv    *sendpack.Advertisement // what the client pushes against
	srv    federation.Endpoint
	// listing is adv's refs as every listing of the helper has them.
	listing *serverRefs
	server  transport.Server // what chose it
}

// listChosen lists m from this process when transport.Choose says so,
// and returns the choice after that listing: Direct with d, or with the
// listing's error when that error is the answer; another way (a relay,
// a child git) when git's transport is to reach m.
func (s *Session) listChosen(ctx context.Context, m federation.Endpoint, origin, background bool) (*directMirror, transport.Choice, error) {
	srv, c := s.directServer(ctx, m, origin, background)
	ch := s.choose(m, srv, transport.Listing{}, transport.List)
	if ch.Way != transport.Direct {
		return nil, ch, nil
	}
	d, err := s.listDirect(ctx, c, m)
	ch = s.choose(m, srv, listingOutcome(d, err), transport.List)
	if ch.Way != transport.Direct {
		return nil, ch, nil
	}
	if d != nil {
		d.server = srv
	}
	return d, ch, err
}

// pushChosen reports whether the push goes to d, listed by this
// process, from this process; else git's transport takes it.
func (s *Session) pushChosen(d *directMirror) bool {
	return s.choose(d.srv, d.server, listingOutcome(d, nil), transport.Push).Way == transport.Direct
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

// listingOutcome is how this process's listing went, for Choose.
func listingOutcome(d *directMirror, err error) transport.Listing {
	var moved *sendpack.RedirectError
	var se *stall.Error
	switch {
	case errors.As(err, &moved):
		return transport.Listing{Redirected: true}
	case errors.As(err, &se):
		return transport.Listing{Stalled: true}
	case err != nil || d == nil:
		return transport.Listing{Failed: true}
	}
	return transport.Listing{ReportStatus: d.adv.Has("report-status"), Atomic: d.adv.Has("atomic"), PushOptions: d.adv.Has("push-options")}
}

// directServer is what transport.Choose knows of m before anything is
// sent, and the client that reaches m from this process when it may.
// The facts are gathered in Choose's order and no further than one that
// rules this process out: a keyring is not asked for a server git's
// transport is to reach anyway. What the client can apply of git's http
// configuration (proxy, TLS, extra headers, cookies, user agent,
// low-speed limit) it applies as git would; the rest is Unhonoured.
func (s *Session) directServer(ctx context.Context, m federation.Endpoint, origin, background bool) (transport.Server, *sendpack.Client) {
	srv := transport.Server{Origin: origin, Background: background, HTTP: m.HTTP()}
	tokenKnown := false
	ruledOut := func() bool { // a token not looked up yet counts as there
		probe := srv
		probe.Token = srv.Token || !tokenKnown
		return transport.Choose(probe, transport.Options{}, transport.Listing{}, transport.List).Way != transport.Direct
	}
	u, err := url.Parse(m.Raw)
	if err != nil {
		srv.Unusable = "unparsable URL"
	}
	srv.UserInURL = err == nil && u.User != nil
	if ruledOut() {
		return srv, nil
	}
	entries, err := s.transportConfig(ctx)
	if err != nil {
		srv.Unhonoured = []string{"config"} // unreadable: git's transport reads it, or says why
	}
	settings := httpx.Resolve(entries, getenvOf(s.Git.Env), m.Raw)
	srv.Unhonoured = append(srv.Unhonoured, settings.Unhonoured...)
	if ruledOut() {
		return srv, nil
	}
	k := keystore.Key{Protocol: m.Protocol, Host: m.Host}
	cred, err := keystore.Default(keystore.Options{Getenv: getenvOf(s.Git.Env), Forge: s.Forge}).Get(ctx, k)
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
	return srv, c
}
